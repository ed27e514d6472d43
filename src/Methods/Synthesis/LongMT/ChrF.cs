namespace Engine.Methods.Synthesis.LongMT;

/// <summary>
/// chrF and chrF++ as sacreBLEU 2.x defines them (Popović 2015/2017): character n-grams of orders 1..6 over the
/// segment with every whitespace character removed, plus, for chrF++, word n-grams of orders 1..2 over the
/// whitespace-split words with one leading or trailing punctuation mark split off. Per order the statistics are
/// (hypothesis n-grams, reference n-grams, clipped matches); a hypothesis order counts only when the reference has
/// n-grams of that order. Precision and recall are averaged over the "effective" orders (both sides non-empty) and
/// combined as F_β with β = 2; scores are 0–100. A corpus (or a document) sums the statistics of its segments first.
/// Case-sensitive, single reference (sacreBLEU's defaults).
/// </summary>
public static class ChrF
{
    public const int CharOrder = 6, WordOrderPlusPlus = 2;
    public const double Beta = 2;

    /// <summary>sacreBLEU's punctuation set for the word n-grams of chrF++ (Python's string.punctuation).</summary>
    private const string Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    /// <summary>Per-order statistics, 3 numbers per order: [hyp, ref, match] for char orders 1..charOrder, then word orders 1..wordOrder.</summary>
    public static long[] Statistics(string hypothesis, string reference, int charOrder = CharOrder, int wordOrder = 0)
    {
        ArgumentNullException.ThrowIfNull(hypothesis);
        ArgumentNullException.ThrowIfNull(reference);
        if (charOrder < 1 || wordOrder < 0) throw new ArgumentOutOfRangeException(nameof(charOrder), "charOrder must be ≥ 1 and wordOrder ≥ 0.");
        var stats = new long[3 * (charOrder + wordOrder)];
        string h = RemoveWhitespace(hypothesis), r = RemoveWhitespace(reference);
        for (int n = 1; n <= charOrder; n++)
            Match(CharNgrams(h, n), CharNgrams(r, n), stats, 3 * (n - 1));
        if (wordOrder > 0)
        {
            var hw = Words(hypothesis);
            var rw = Words(reference);
            for (int n = 1; n <= wordOrder; n++)
                Match(WordNgrams(hw, n), WordNgrams(rw, n), stats, 3 * (charOrder + n - 1));
        }
        return stats;
    }

    /// <summary>The F_β score (0–100) of summed statistics, with sacreBLEU's effective-order averaging.</summary>
    public static double Score(ReadOnlySpan<long> stats, double beta = Beta)
    {
        if (stats.Length % 3 != 0) throw new ArgumentException("statistics come in [hyp, ref, match] triples");
        double precision = 0, recall = 0;
        int effective = 0;
        for (int i = 0; i < stats.Length; i += 3)
        {
            long hyp = stats[i], refs = stats[i + 1], match = stats[i + 2];
            if (hyp > 0 && refs > 0)
            {
                precision += (double)match / hyp;
                recall += (double)match / refs;
                effective++;
            }
        }
        if (effective == 0) return 0;
        precision /= effective;
        recall /= effective;
        if (precision + recall == 0) return 0;
        double b2 = beta * beta;
        return 100 * (1 + b2) * precision * recall / (b2 * precision + recall);
    }

    /// <summary>chrF (wordOrder 0) or chrF++ (wordOrder 2) of one segment.</summary>
    public static double Sentence(string hypothesis, string reference, int wordOrder = 0) =>
        Score(Statistics(hypothesis, reference, CharOrder, wordOrder));

    /// <summary>Corpus-level chrF(++) of aligned segments: statistics summed over segments, then one F score (a document's score).</summary>
    public static double Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<string> references, int wordOrder = 0)
    {
        if (hypotheses.Count != references.Count)
            throw new ArgumentException($"{hypotheses.Count} hypotheses for {references.Count} references.");
        var total = new long[3 * (CharOrder + wordOrder)];
        for (int i = 0; i < hypotheses.Count; i++)
        {
            var s = Statistics(hypotheses[i], references[i], CharOrder, wordOrder);
            for (int k = 0; k < total.Length; k++) total[k] += s[k];
        }
        return Score(total);
    }

    /// <summary>sacreBLEU joins str.split(): every whitespace run goes.</summary>
    internal static string RemoveWhitespace(string s)
    {
        var sb = new System.Text.StringBuilder(s.Length);
        foreach (var c in s) if (!char.IsWhiteSpace(c)) sb.Append(c);
        return sb.ToString();
    }

    /// <summary>chrF++ words: whitespace-split; a word of 2+ characters loses one trailing (else one leading) punctuation mark as its own word.</summary>
    internal static List<string> Words(string s)
    {
        var words = new List<string>();
        foreach (var w in s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (w.Length == 1) words.Add(w);
            else if (Punctuation.Contains(w[^1])) { words.Add(w[..^1]); words.Add(w[^1..]); }
            else if (Punctuation.Contains(w[0])) { words.Add(w[..1]); words.Add(w[1..]); }
            else words.Add(w);
        }
        return words;
    }

    /// <summary>Character n-grams counted in Unicode code points, as Python slices strings (a surrogate pair is one character).</summary>
    private static Dictionary<string, int> CharNgrams(string s, int n)
    {
        var starts = new List<int>(s.Length + 1);
        for (int i = 0; i < s.Length; i += char.IsSurrogatePair(s, i) ? 2 : 1) starts.Add(i);
        starts.Add(s.Length);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i + n < starts.Count; i++) Increment(counts, s.Substring(starts[i], starts[i + n] - starts[i]));
        return counts;
    }

    private static Dictionary<string, int> WordNgrams(List<string> words, int n)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i + n <= words.Count; i++) Increment(counts, string.Join(' ', words.GetRange(i, n)));
        return counts;
    }

    private static void Increment(Dictionary<string, int> d, string key) => d[key] = d.GetValueOrDefault(key) + 1;

    private static void Match(Dictionary<string, int> hyp, Dictionary<string, int> reference, long[] stats, int at)
    {
        long hypCount = 0, match = 0, refCount = 0;
        foreach (var (ng, c) in hyp)
        {
            hypCount += c;
            if (reference.TryGetValue(ng, out var rc)) match += Math.Min(c, rc);
        }
        foreach (var c in reference.Values) refCount += c;
        // sacreBLEU: hypothesis n-grams of an order the reference lacks are not counted.
        stats[at] = refCount > 0 ? hypCount : 0;
        stats[at + 1] = refCount;
        stats[at + 2] = match;
    }
}
