namespace Engine.Methods.Evaluation.Testbed;

/// <summary>
/// How well a selection method's scores separate clean from corrupted records.
/// Auc: probability that a random clean record scores above a random corrupted one (ties count half) — the
/// Mann–Whitney U statistic over n_clean·n_corrupted. Kept = the top K by score (K defaults to the number of clean
/// records): precision = clean share of the kept, recall = share of all clean records kept. Flagged = the rest:
/// precision = corrupted share of the flagged, recall = share of all corrupted records flagged.
/// </summary>
public sealed record SelectionScore(int Clean, int Corrupted, int Unscored, double Auc, int K,
    double KeptPrecision, double KeptRecall, double FlaggedPrecision, double FlaggedRecall);

public static class SelectionScoring
{
    /// <summary>Mann–Whitney AUC with mid-ranks for ties; NaN when either group is empty.</summary>
    public static double Auc(IReadOnlyList<double> clean, IReadOnlyList<double> corrupted)
    {
        if (clean.Count == 0 || corrupted.Count == 0) return double.NaN;
        var all = clean.Select(s => (Score: s, Clean: true)).Concat(corrupted.Select(s => (Score: s, Clean: false)))
            .OrderBy(x => x.Score).ToArray();
        double rankSumClean = 0;
        for (int i = 0; i < all.Length;)
        {
            int j = i;
            while (j < all.Length && all[j].Score == all[i].Score) j++;
            double midRank = (i + 1 + j) / 2.0; // ranks i+1..j, averaged
            for (int t = i; t < j; t++) if (all[t].Clean) rankSumClean += midRank;
            i = j;
        }
        double n1 = clean.Count, n0 = corrupted.Count;
        return (rankSumClean - n1 * (n1 + 1) / 2) / (n1 * n0);
    }

    /// <param name="scores">id → score; higher means cleaner unless <paramref name="higherIsClean"/> is false.</param>
    /// <param name="corrupted">id → corrupted, from the key file.</param>
    /// <param name="keep">K for the kept set; default the number of clean records.</param>
    public static SelectionScore Evaluate(IReadOnlyDictionary<string, double> scores, IReadOnlyDictionary<string, bool> corrupted,
        int? keep = null, bool higherIsClean = true)
    {
        foreach (var (id, s) in scores)
        {
            if (!corrupted.ContainsKey(id)) throw new ArgumentException($"SelectionScoring: scored id '{id}' is not in the key.");
            if (double.IsNaN(s)) throw new ArgumentException($"SelectionScoring: score of '{id}' is NaN.");
        }
        var items = scores.Select(p => (Id: p.Key, Score: higherIsClean ? p.Value : -p.Value, Bad: corrupted[p.Key]))
            .OrderByDescending(x => x.Score).ThenBy(x => x.Id, StringComparer.Ordinal).ToList();
        int nClean = items.Count(x => !x.Bad), nBad = items.Count - nClean;
        int k = keep ?? nClean;
        if (k < 0 || k > items.Count) throw new ArgumentException($"SelectionScoring: keep must be in [0, {items.Count}], got {k}.");
        int keptClean = items.Take(k).Count(x => !x.Bad);
        int flaggedBad = items.Skip(k).Count(x => x.Bad);
        double Div(int a, int b) => b == 0 ? double.NaN : (double)a / b;
        return new SelectionScore(nClean, nBad, corrupted.Count - scores.Count,
            Auc(items.Where(x => !x.Bad).Select(x => x.Score).ToList(), items.Where(x => x.Bad).Select(x => x.Score).ToList()),
            k, Div(keptClean, k), Div(keptClean, nClean), Div(flaggedBad, items.Count - k), Div(flaggedBad, nBad));
    }
}
