using Engine.Runtime;

namespace Engine.Methods.Synthesis.AQuilt;

/// <summary>How many inspected samples fell in each score bucket, and the minimum score the keep rule chose for them.</summary>
public sealed record KeepDecision(int[] Buckets, int Total, double LowShare, int MinScore)
{
    /// <summary>Whether the low-score share widened the kept set.</summary>
    public bool Relaxed(AQuiltFilterOptions o) => MinScore < o.MinScore;
}

/// <summary>
/// AQuilt's rules as pure functions, checkable by hand: the score buckets and the keep rule, the text-independence
/// check, and balancing the inspection levels by down-sampling.
/// </summary>
public static class AQuiltRules
{
    /// <summary>
    /// The bucket (1–5) of an integer score: 2, 3 and 4 are their own, 5 and above are 5, and everything else
    /// (1, 0, negatives) is 1 — the released filtering script's rule.
    /// </summary>
    public static int Bucket(int score) => score >= 5 ? 5 : score is >= 2 and <= 4 ? score : 1;

    /// <summary>
    /// The keep rule over all inspected samples: with S_k the samples in bucket k and N their number, keep buckets
    /// ≥ <see cref="AQuiltFilterOptions.MinScore"/> (3); but when (|S_1| + |S_2|) / N exceeds
    /// <see cref="AQuiltFilterOptions.LowShareThreshold"/> (0.2), keep buckets ≥ <see cref="AQuiltFilterOptions.RelaxedMinScore"/> (2).
    /// A lot of low scores thus widens the kept set (as released, presumably to keep enough volume).
    /// </summary>
    public static KeepDecision Keep(IEnumerable<int> scores, AQuiltFilterOptions o)
    {
        var buckets = new int[6];
        foreach (var s in scores) buckets[Bucket(s)]++;
        int total = buckets.Sum();
        double low = total == 0 ? 0 : (buckets[1] + buckets[2]) / (double)total;
        int min = low > o.LowShareThreshold ? o.RelaxedMinScore : o.MinScore;
        return new KeepDecision(buckets, total, low, min);
    }

    /// <summary>Phrases that point at a text the reader of a stand-alone question does not have.</summary>
    public static readonly IReadOnlyList<string> TextReferenceMarkers =
    [
        "according to the text", "according to the passage", "according to the article", "according to the reference",
        "according to the material", "according to the context", "based on the text", "based on the passage",
        "based on the article", "based on the material", "in the passage", "in the text above", "in the article",
        "the above text", "the above passage", "mentioned above", "the reference material", "the given text", "the provided text",
        "文中", "上文", "根据材料", "参考资料", "本文", "材料中", "根据文章", "根据上述", "根据以上",
    ];

    /// <summary>
    /// The text-independence check: for a task type whose finished instruction does not carry the passage, the marker
    /// the question uses to point at the absent text (case-insensitive), or null when it stands alone. Task types that
    /// carry the passage are exempt (null).
    /// </summary>
    public static string? TextReference(AQuiltTaskType type, string question, IReadOnlyList<string>? markers = null)
    {
        if (type.CarriesPassage) return null;
        foreach (var m in markers ?? TextReferenceMarkers)
            if (question.Contains(m, StringComparison.OrdinalIgnoreCase)) return m;
        return null;
    }

    /// <summary>
    /// Balance items over score levels by down-sampling: each level keeps min(its count, quota) items, the quota being
    /// <paramref name="cap"/> when given, otherwise the smallest level's count (levels with no item are ignored, so
    /// one empty level does not empty the rest). The items kept are a seeded uniform sample of each level, returned
    /// in their original order.
    /// </summary>
    public static List<T> Balance<T>(IReadOnlyList<T> items, Func<T, int> level, ulong seed, int? cap = null)
    {
        var groups = Enumerable.Range(0, items.Count).GroupBy(i => level(items[i])).OrderBy(g => g.Key).ToList();
        if (groups.Count == 0) return [];
        int quota = cap ?? groups.Min(g => g.Count());
        var keep = new List<int>();
        foreach (var g in groups)
        {
            var idx = g.ToArray();
            Shuffle(idx, seed, unchecked((ulong)g.Key));
            keep.AddRange(idx.Take(quota));
        }
        keep.Sort();
        return keep.Select(i => items[i]).ToList();
    }

    /// <summary>Fisher–Yates driven by Philox words of (seed, stream): the same order on every machine and runtime.</summary>
    public static void Shuffle<T>(IList<T> items, ulong seed, ulong stream)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            ulong w = (ulong)Philox.Word(seed, stream, 2UL * (ulong)i) << 32 | Philox.Word(seed, stream, 2UL * (ulong)i + 1);
            int j = (int)(w % (ulong)(i + 1));
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
