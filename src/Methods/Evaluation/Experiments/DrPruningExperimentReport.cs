using System.Globalization;
using System.Text;

namespace Engine.Methods.Evaluation.Experiments;

/// <summary>The DRPruning experiment's tables: means over seeds with 95 % t-intervals, paired differences, and per-seed detail.</summary>
public static class DrPruningExperimentReport
{
    /// <summary>Two-sided 95 % Student t quantiles for 1..10 degrees of freedom (then the normal's 1.96).</summary>
    private static readonly double[] T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];

    /// <summary>Mean and the half-width of its 95 % t-interval over the values (NaN half-width for one value).</summary>
    public static (double Mean, double HalfWidth) MeanInterval(IReadOnlyList<double> v)
    {
        double mean = v.Average();
        if (v.Count < 2) return (mean, double.NaN);
        double sd = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1));
        double t = v.Count - 1 <= T95.Length ? T95[v.Count - 2] : 1.96;
        return (mean, t * sd / Math.Sqrt(v.Count));
    }

    private static string F(double mean, double half, string fmt) => double.IsNaN(half)
        ? mean.ToString(fmt, CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{mean.ToString(fmt, CultureInfo.InvariantCulture)} ± {half.ToString(fmt, CultureInfo.InvariantCulture)}");

    public static string ToMarkdown(IReadOnlyList<DrPruningSeedResult> seeds)
    {
        var sb = new StringBuilder();
        var arms = seeds[0].Arms.Select(a => a.Arm).ToList();
        var metrics = new (string Name, Func<DrPruningArmResult, double> Of, string Fmt, bool LowerIsBetter)[]
        {
            ("worst-domain loss", a => a.Loss.Worst.Loss, "F4", true),
            ("average loss", a => a.Loss.Average, "F4", true),
            ("worst-domain accuracy", a => a.WorstAccuracy, "P1", false),
            ("average accuracy", a => a.AverageAccuracy, "P1", false),
        };
        sb.AppendLine(CultureInfo.InvariantCulture, $"Means over {seeds.Count} seeds, ± the half-width of a 95 % t-interval over seeds (test split, {seeds[0].Arms[0].Loss.Domains.Sum(d => d.Items)} items per model).");
        sb.AppendLine();
        sb.AppendLine("| arm | " + string.Join(" | ", metrics.Select(m => m.Name)) + " | exported parameters (non-embedding) |");
        sb.AppendLine("|---|" + string.Concat(metrics.Select(_ => "---:|")) + "---:|");
        AppendRow(sb, "source (unpruned)", metrics.Select(m => MeanInterval(seeds.Select(s => SourceMetric(s, m.Name)).ToList())).Select((x, i) => F(x.Mean, x.HalfWidth, metrics[i].Fmt)),
            $"{seeds[0].SourceNonEmbedding:N0}");
        foreach (var arm in arms)
        {
            var runs = seeds.Select(s => s.Arms.First(a => a.Arm == arm)).ToList();
            AppendRow(sb, arm, metrics.Select(m => { var (mean, h) = MeanInterval(runs.Select(m.Of).ToList()); return F(mean, h, m.Fmt); }),
                $"{runs[0].Parameters:N0} ({runs[0].NonEmbedding:N0})");
        }
        sb.AppendLine();
        sb.AppendLine("Paired differences, DRPruning − baseline, per seed then averaged (negative loss / positive accuracy favours DRPruning):");
        sb.AppendLine();
        sb.AppendLine("| baseline | " + string.Join(" | ", metrics.Select(m => "Δ " + m.Name)) + " |");
        sb.AppendLine("|---|" + string.Concat(metrics.Select(_ => "---:|")));
        foreach (var arm in arms.Where(a => a != "drpruning"))
        {
            var cells = metrics.Select(m =>
            {
                var d = seeds.Select(s => m.Of(s.Arms.First(a => a.Arm == "drpruning")) - m.Of(s.Arms.First(a => a.Arm == arm))).ToList();
                var (mean, h) = MeanInterval(d);
                return F(mean, h, m.Fmt);
            });
            AppendRow(sb, arm, cells, null);
        }
        sb.AppendLine();
        foreach (var s in seeds)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"Seed {s.Seed}: reference losses from the ℓ(N) fit at N = {s.TargetNonEmbedding:N0} non-embedding parameters "
                + $"(ladder N = {string.Join(", ", s.Ladder.Select(l => l.NonEmbedding.ToString("N0", CultureInfo.InvariantCulture)))}).");
            sb.AppendLine();
            var domains = s.Arms[0].Domains;
            sb.AppendLine("| model | " + string.Join(" | ", domains.Select(d => $"{d} loss [95% CI] / acc")) + " | final mixture |");
            sb.AppendLine("|---|" + string.Concat(domains.Select(_ => "---|")) + "---|");
            sb.AppendLine("| reference ℓ_R (fit) | " + string.Join(" | ", s.ReferenceLoss.Select(r => r.ToString("F3", CultureInfo.InvariantCulture))) + " | |");
            foreach (var (n, l) in s.Ladder)
                sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| ladder N = {n:N0} (validation) | ") + string.Join(" | ", domains.Select(d => l.Domains.First(x => x.Domain == d).Loss.ToString("F3", CultureInfo.InvariantCulture))) + " | |");
            sb.AppendLine("| source | " + string.Join(" | ", domains.Select(d => Cell(s.SourceLoss, s.SourceAccuracy, d))) + " | |");
            foreach (var a in s.Arms)
                sb.AppendLine($"| {a.Arm} | " + string.Join(" | ", domains.Select(d => Cell(a.Loss, a.Accuracy, d)))
                    + $" | {string.Join(" ", a.FinalWeights.Select(w => w.ToString("F3", CultureInfo.InvariantCulture)))} |");
            sb.AppendLine();
        }
        return sb.ToString();
    }

    private static string Cell(Testbed.DomainLossReport loss, Testbed.EvalReport acc, string d)
    {
        var l = loss.Domains.First(x => x.Domain == d);
        var a = acc.Groups.First(g => g.By == "domain" && g.Key == d);
        return string.Create(CultureInfo.InvariantCulture, $"{l.Loss:F3} [{l.Lo:F3}, {l.Hi:F3}] / {a.Accuracy:P0}");
    }

    private static double SourceMetric(DrPruningSeedResult s, string name)
    {
        var domains = s.Arms[0].Domains;
        double Acc(string d) => s.SourceAccuracy.Groups.First(g => g.By == "domain" && g.Key == d).Accuracy;
        return name switch
        {
            "worst-domain loss" => s.SourceLoss.Worst.Loss,
            "average loss" => s.SourceLoss.Average,
            "worst-domain accuracy" => domains.Min(Acc),
            _ => domains.Average(Acc),
        };
    }

    private static void AppendRow(StringBuilder sb, string name, IEnumerable<string> cells, string? last) =>
        sb.AppendLine($"| {name} | {string.Join(" | ", cells)} |" + (last is null ? "" : $" {last} |"));
}
