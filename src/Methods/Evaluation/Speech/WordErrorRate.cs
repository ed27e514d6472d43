using System.Text;
using Engine.Methods.Evaluation.Testbed;

namespace Engine.Methods.Evaluation.Speech;

/// <summary>Word errors of one hypothesis: substitutions + deletions + insertions against the reference's word count.</summary>
public readonly record struct WordErrors(int Errors, int ReferenceWords);

/// <summary>
/// Word error rate as ASR papers report it: after normalisation (lower case; every character that is not a letter,
/// digit or apostrophe becomes a space), the Levenshtein distance between the word sequences, summed over
/// utterances and divided by the reference words summed over utterances (a corpus WER, not a mean of per-utterance rates).
/// </summary>
public static class WordErrorRate
{
    public static string[] Words(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text.ToLowerInvariant()) sb.Append(char.IsLetterOrDigit(c) || c == '\'' ? c : ' ');
        return sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    public static WordErrors Of(string reference, string hypothesis)
    {
        var r = Words(reference);
        var h = Words(hypothesis);
        var prev = new int[h.Length + 1];
        var cur = new int[h.Length + 1];
        for (int j = 0; j <= h.Length; j++) prev[j] = j;
        for (int i = 1; i <= r.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= h.Length; j++)
                cur[j] = Math.Min(Math.Min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + (r[i - 1] == h[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return new WordErrors(prev[h.Length], r.Length);
    }

    /// <summary>Σ errors / Σ reference words.</summary>
    public static double Corpus(IReadOnlyList<WordErrors> items)
    {
        long e = 0, n = 0;
        foreach (var x in items) { e += x.Errors; n += x.ReferenceWords; }
        return n == 0 ? double.NaN : (double)e / n;
    }

    /// <summary>Percentile bootstrap interval of the corpus WER, resampling utterances (deterministic for a seed).</summary>
    public static (double Lo, double Hi) Interval(IReadOnlyList<WordErrors> items, int resamples = 2000, double level = 0.95, ulong seed = 12345)
    {
        int n = items.Count;
        if (n == 0) return (double.NaN, double.NaN);
        var rng = new TestbedRng(seed);
        var rates = new double[resamples];
        for (int k = 0; k < resamples; k++)
        {
            long e = 0, w = 0;
            for (int i = 0; i < n; i++) { var x = items[(int)(rng.NextU64() % (ulong)n)]; e += x.Errors; w += x.ReferenceWords; }
            rates[k] = w == 0 ? 0 : (double)e / w;
        }
        Array.Sort(rates);
        double a = (1 - level) / 2;
        return (rates[(int)Math.Floor(a * (resamples - 1))], rates[(int)Math.Ceiling((1 - a) * (resamples - 1))]);
    }
}
