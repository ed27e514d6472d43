namespace Engine.Methods.Synthesis.LongMT;

/// <summary>
/// LongMT's formulas, pure and checkable by hand: the page reward the search maximises, its normalisation against the
/// no-context baseline, UCB1, and the consistency of a page's names with the entity memory.
/// </summary>
public static class LongMtScores
{
    /// <summary>
    /// UCB1 of a child: Q + c·sqrt(ln N(parent) / N(child)), with the parent's visit count (standard UCT); an unvisited
    /// child scores +∞ so every child is tried once before any is tried twice.
    /// </summary>
    public static double Ucb1(double q, int childVisits, int parentVisits, double c)
    {
        if (childVisits == 0) return double.PositiveInfinity;
        if (parentVisits < 1) throw new ArgumentOutOfRangeException(nameof(parentVisits), "a visited child has a visited parent");
        return q + c * Math.Sqrt(Math.Log(parentVisits) / childVisits);
    }

    /// <summary>
    /// The reward the tree backs up: (score / baseline − 1) / scale clipped to [−1, 1], so "5% better than translating
    /// without memory" is 1 at the default scale 0.05 and UCB1's usual c = √2 balances exploration. A zero baseline gives
    /// +1 for any positive score (else 0); an invalid translation (misaligned) gets −1.
    /// </summary>
    public static double Normalise(double score, double baseline, double scale)
    {
        if (scale <= 0) throw new ArgumentOutOfRangeException(nameof(scale), "scale must be positive");
        if (double.IsNaN(score) || double.IsNegativeInfinity(score)) return -1;
        if (baseline <= 0) return score > 0 ? 1 : 0;
        return Math.Clamp((score / baseline - 1) / scale, -1, 1);
    }

    /// <summary>
    /// The share of (sentence, recorded name) occurrences on a page whose translation contains the recorded target form as
    /// a whole word; null when no recorded name occurs on the page.
    /// </summary>
    public static double? EntityAgreement(IReadOnlyList<string> source, IReadOnlyList<string> hypothesis, IEnumerable<EntityGloss> records)
    {
        int seen = 0, kept = 0;
        foreach (var r in records)
            for (int i = 0; i < source.Count; i++)
            {
                if (!TextMatch.ContainsWord(source[i], r.Source)) continue;
                seen++;
                if (TextMatch.ContainsWord(hypothesis[i], r.Target)) kept++;
            }
        return seen == 0 ? null : (double)kept / seen;
    }

    /// <summary>
    /// A page's reward: chrF (or chrF++) of the page against its reference, mixed with the agreement of its names with the
    /// entity memory: (1 − w)·chrF + w·100·agreement; chrF alone when no recorded name is on the page.
    /// </summary>
    public static double PageReward(double chrf, double? entityAgreement, double entityWeight) =>
        entityAgreement is { } a ? (1 - entityWeight) * chrf + entityWeight * 100 * a : chrf;
}
