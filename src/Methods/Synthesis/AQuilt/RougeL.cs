namespace Engine.Methods.Synthesis.AQuilt;

/// <summary>
/// ROUGE-L as the reference definition (Lin, 2004) and the <c>rouge-score</c> package compute it: the F-measure of
/// the longest common subsequence of two token sequences, P = LCS/|prediction|, R = LCS/|target|,
/// F = 2PR/(P+R) = 2·LCS/(|target|+|prediction|); 0 when either side has no token.
/// <para>Tokens follow rouge-score's tokenizer without stemming (Self-Instruct's setting): lower-case, every run of
/// characters other than a–z and 0–9 is a separator. One addition: each CJK ideograph (U+3400–U+4DBF, U+4E00–U+9FFF)
/// is a token of its own — rouge-score's rule would delete Chinese text entirely and score every Chinese pair 0, so
/// Chinese is compared by characters, as Chinese Self-Instruct pipelines do.</para>
/// </summary>
public static class RougeL
{
    public static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var current = new System.Text.StringBuilder();
        void Flush() { if (current.Length > 0) { tokens.Add(current.ToString()); current.Clear(); } }
        foreach (var raw in text)
        {
            char c = char.ToLowerInvariant(raw);
            if (IsCjk(c)) { Flush(); tokens.Add(c.ToString()); }
            else if (c is >= 'a' and <= 'z' or >= '0' and <= '9') current.Append(c);
            else Flush();
        }
        Flush();
        return tokens;
    }

    public static bool IsCjk(char c) => c is >= '\u4E00' and <= '\u9FFF' or >= '\u3400' and <= '\u4DBF';

    /// <summary>Length of the longest common subsequence (dynamic programming, two rows).</summary>
    public static int Lcs<T>(IReadOnlyList<T> a, IReadOnlyList<T> b) where T : IEquatable<T>
    {
        if (a.Count == 0 || b.Count == 0) return 0;
        var prev = new int[b.Count + 1];
        var cur = new int[b.Count + 1];
        for (int i = 1; i <= a.Count; i++)
        {
            for (int j = 1; j <= b.Count; j++)
                cur[j] = a[i - 1].Equals(b[j - 1]) ? prev[j - 1] + 1 : Math.Max(prev[j], cur[j - 1]);
            (prev, cur) = (cur, prev);
        }
        return prev[b.Count];
    }

    /// <summary>(precision, recall, F-measure) of <paramref name="prediction"/> against <paramref name="target"/>.</summary>
    public static (double Precision, double Recall, double F) Score(string target, string prediction) => Score(Tokenize(target), Tokenize(prediction));

    public static (double Precision, double Recall, double F) Score<T>(IReadOnlyList<T> target, IReadOnlyList<T> prediction) where T : IEquatable<T>
    {
        if (target.Count == 0 || prediction.Count == 0) return (0, 0, 0);
        int lcs = Lcs(target, prediction);
        double p = (double)lcs / prediction.Count, r = (double)lcs / target.Count;
        return (p, r, p + r > 0 ? 2 * p * r / (p + r) : 0);
    }

    /// <summary>The F-measure (symmetric in its arguments).</summary>
    public static double F1(string a, string b) => Score(a, b).F;
}

/// <summary>
/// Texts kept so far, for the diversity rule "drop a candidate whose ROUGE-L F against any kept text reaches the
/// threshold". Tokens are interned as integers; a candidate is compared by LCS only with texts whose bag-of-tokens
/// overlap could reach the threshold (F ≤ 2·|bag overlap|/(|a|+|b|), because a common subsequence is a common bag),
/// so the answer is exact and most pairs cost a merge of two sorted arrays.
/// </summary>
public sealed class RougeLIndex
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<(int[] Tokens, int[] Sorted)> _kept = [];

    public int Count => _kept.Count;

    /// <summary>The ROUGE-L F of <paramref name="text"/> against the first kept text (in the order they were added) whose F reaches <paramref name="threshold"/>, or null when none does.</summary>
    public double? FirstAtLeast(string text, double threshold)
    {
        var (tokens, sorted) = Prepare(text);
        if (tokens.Length == 0) return null;
        foreach (var (kt, ks) in _kept)
        {
            if (kt.Length == 0) continue;
            double denom = tokens.Length + kt.Length;
            if (2.0 * Overlap(sorted, ks) / denom < threshold) continue;
            double f = 2.0 * RougeL.Lcs(tokens, kt) / denom;
            if (f >= threshold) return f;
        }
        return null;
    }

    public void Add(string text) => _kept.Add(Prepare(text));

    private (int[] Tokens, int[] Sorted) Prepare(string text)
    {
        var tokens = RougeL.Tokenize(text).Select(t =>
        {
            if (!_ids.TryGetValue(t, out var id)) _ids[t] = id = _ids.Count;
            return id;
        }).ToArray();
        var sorted = (int[])tokens.Clone();
        Array.Sort(sorted);
        return (tokens, sorted);
    }

    private static int Overlap(int[] a, int[] b)
    {
        int i = 0, j = 0, n = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j]) { n++; i++; j++; }
            else if (a[i] < b[j]) i++;
            else j++;
        }
        return n;
    }
}
