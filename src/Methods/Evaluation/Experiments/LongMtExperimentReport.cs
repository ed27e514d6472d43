using System.Globalization;
using System.Text;

namespace Engine.Methods.Evaluation.Experiments;

/// <summary>
/// The LongMT experiment's tables: per seed, then every seed's held-out documents pooled (95 % bootstrap intervals over
/// documents), and paired per-document differences between arms (the same document translated by both arms).
/// </summary>
public static class LongMtExperimentReport
{
    private static readonly (string Name, Func<LongMtDocScore, double?> Of, double Scale, string Unit)[] Metrics =
    [
        ("chrF", d => d.ChrF, 1, ""),
        ("chrF++", d => d.ChrFpp, 1, ""),
        ("entity consistency", d => d.Consistency, 100, " %"),
        ("terms in the right sense", d => d.TermAccuracy, 100, " %"),
    ];

    /// <summary>(arm compared, baseline) pairs of the differences table.</summary>
    public static readonly IReadOnlyList<(int Arm, int Baseline)> Comparisons = [(2, 1), (2, 0), (3, 2), (3, 1), (4, 1)];

    public static string SeedTable(ulong seed, LongMtExperimentResult res)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"Seed {seed}: {res.ModulePairs} module-choice pairs; MCTS's chosen path beats no memory by {res.SampledPagesGain:F2} reward points a page on the sampled documents; "
            + $"whole-document prompt + reference {res.WholeDocumentPromptTokens:F0} tokens on average for a context of {res.Context}; {res.Elapsed:mm\\:ss} wall.\n\n");
        sb.Append("| arm | chrF [95% CI] | entity consistency [95% CI] | terms in the right sense [95% CI] | modules / page | problems / doc |\n|---|---|---|---|---:|---:|\n");
        foreach (var a in res.Arms)
        {
            var (c, cl, ch) = a.ChrF;
            var (e, el, eh) = a.Consistency;
            var (t, tl, th) = a.Terms;
            sb.Append(CultureInfo.InvariantCulture, $"| {a.Name} | {c:F1} [{cl:F1}, {ch:F1}] | {e:P1} [{el:P1}, {eh:P1}] | {t:P1} [{tl:P1}, {th:P1}] | {a.Docs.Average(d => d.ModulesPerPage):F2} | {a.Docs.Average(d => d.Problems):F1} |\n");
        }
        return sb.ToString();
    }

    /// <summary>The pooled table and the paired differences over every seed's documents.</summary>
    public static string Pooled(IReadOnlyList<LongMtExperimentResult> seeds)
    {
        var sb = new StringBuilder();
        int arms = seeds[0].Arms.Count;
        var docs = Enumerable.Range(0, arms).Select(a => seeds.SelectMany(s => s.Arms[a].Docs).ToList()).ToList();
        sb.Append(CultureInfo.InvariantCulture, $"All {seeds.Count} seeds pooled: {docs[0].Count} held-out documents per arm; mean [95 % bootstrap interval over documents].\n\n");
        sb.Append("| arm | " + string.Join(" | ", Metrics.Select(m => m.Name)) + " | modules / page |\n|---|" + string.Concat(Metrics.Select(_ => "---|")) + "---:|\n");
        for (int a = 0; a < arms; a++)
        {
            var cells = Metrics.Select(m => Cell(docs[a].Select(m.Of).Where(v => v is not null).Select(v => v!.Value * m.Scale).ToList(), m.Unit));
            sb.Append(CultureInfo.InvariantCulture, $"| {seeds[0].Arms[a].Name} | {string.Join(" | ", cells)} | {docs[a].Average(d => d.ModulesPerPage):F2} |\n");
        }
        sb.Append("\nPaired differences on the same documents (first arm − second), mean [95 % bootstrap interval over documents]:\n\n");
        sb.Append("| comparison | " + string.Join(" | ", Metrics.Select(m => "Δ " + m.Name)) + " |\n|---|" + string.Concat(Metrics.Select(_ => "---|")) + "\n");
        foreach (var (arm, baseline) in Comparisons.Where(c => c.Arm < arms && c.Baseline < arms))
        {
            var cells = Metrics.Select(m => Cell(Differences(docs[arm], docs[baseline], m.Of).Select(v => v * m.Scale).ToList(), m.Unit));
            sb.Append(CultureInfo.InvariantCulture, $"| {seeds[0].Arms[arm].Name} − {seeds[0].Arms[baseline].Name} | {string.Join(" | ", cells)} |\n");
        }
        return sb.ToString();
    }

    /// <summary>Per-document differences where both arms have the metric (documents are in the same order in every arm).</summary>
    public static List<double> Differences(IReadOnlyList<LongMtDocScore> arm, IReadOnlyList<LongMtDocScore> baseline, Func<LongMtDocScore, double?> of)
    {
        if (arm.Count != baseline.Count) throw new ArgumentException($"{arm.Count} documents against {baseline.Count}.");
        var d = new List<double>();
        for (int i = 0; i < arm.Count; i++)
        {
            if (arm[i].Id != baseline[i].Id) throw new ArgumentException($"document {i} is {arm[i].Id} in one arm and {baseline[i].Id} in the other.");
            if (of(arm[i]) is { } x && of(baseline[i]) is { } y) d.Add(x - y);
        }
        return d;
    }

    private static string Cell(IReadOnlyList<double> v, string unit)
    {
        if (v.Count == 0) return "n/a";
        var (mean, lo, hi) = LongMtTestbedExperiment.Interval(v);
        return string.Create(CultureInfo.InvariantCulture, $"{mean:F1}{unit} [{lo:F1}, {hi:F1}]");
    }
}
