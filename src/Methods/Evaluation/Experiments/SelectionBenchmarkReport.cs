using System.Globalization;
using System.Text;
using Engine.Methods.Evaluation.Testbed;

namespace Engine.Methods.Evaluation.Experiments;

/// <summary>
/// The benchmark's tables. Accuracies are pooled over seeds (every seed evaluates every arm on the same held-out
/// items), with 95% percentile-bootstrap intervals; the difference to random is a paired bootstrap over those items.
/// </summary>
public static class SelectionBenchmarkReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string ToMarkdown(SelectionBenchmarkResult r)
    {
        var o = r.Options;
        var sb = new StringBuilder();
        var arms = r.Seeds[0].Arms.Select(a => a.Arm).ToList();
        var families = o.Families.Append(o.Target).ToList();
        IEnumerable<BenchmarkArm> Of(string arm) => r.Seeds.Select(s => s.Arms.First(a => a.Arm == arm));
        bool[] Outcomes(string arm, string? family = null) =>
            Of(arm).SelectMany(a => a.Eval.Items).Where(i => family is null || i.Task == family).Select(i => i.Correct).ToArray();

        sb.AppendLine(Inv, $"Seeds {string.Join(", ", r.Seeds.Select(s => s.Seed))}; pool {o.N} records, {o.Noise:P0} corrupted, budget {r.Seeds[0].Budget} ({o.Ratio:P0}); " +
            $"{o.StudentSteps} student steps; {o.EvalPerFamily} held-out items per family per seed; tags from the {(o.Tags == BenchmarkTagSource.Tagger ? "local tagger" : "ground truth")}; wall time {r.Wall:hh\\:mm\\:ss}.");
        sb.AppendLine();
        if (r.Tagger is { } t)
        {
            var a = t.Accuracy;
            sb.AppendLine(Inv, $"Local tagger ({t.Conversations} training conversations, {t.Training.Steps} steps): held-out accuracy on {a.N} test-split records: " +
                $"cognition {a.Cognition:P1}, domain {a.Domain:P1}, task {a.Task:P1}, all three {a.All:P1} ({a.Untagged} left untagged). " +
                $"On the pools: all three right on {string.Join(" / ", r.Seeds.Select(s => s.PoolTagging?.All.ToString("P1", Inv) ?? "-"))}.");
            sb.AppendLine();
        }
        sb.AppendLine(Inv, $"SelectIT AUC (clean vs corrupted) per seed: {string.Join(" / ", r.Seeds.Select(s => s.SelectItAuc.ToString("F3", Inv)))}. " +
            $"Pool by the true tags: {string.Join(" / ", r.Seeds.Select(s => $"{s.Pool.Distinct} capabilities, coverage {s.Pool.Coverage:P3}, balance {s.Pool.Balance:F2} bits"))}.");
        sb.AppendLine();

        var random = arms.Contains("random") ? Outcomes("random") : null;
        sb.AppendLine(Inv, $"| arm | held-out accuracy, all families [95% CI] | Δ vs random [95% CI] | per seed | target family ({o.Target}) | held-out loss, mean of families (± 95% t, seeds) | Δ loss vs random (paired by seed) | clean share | coverage | balance (bits) | capabilities |");
        sb.AppendLine("|---|---|---|---|---|---|---|---:|---:|---:|---:|");
        foreach (var arm in arms)
        {
            var all = Outcomes(arm);
            var (lo, hi) = Bootstrap.Interval(all);
            string delta = random is null || arm == "random" ? "" : Delta(all, random);
            var tgt = Outcomes(arm, o.Target);
            var (tl, th) = Bootstrap.Interval(tgt);
            var a = Of(arm).ToList();
            var (lm, lh) = DrPruningExperimentReport.MeanInterval(a.Select(x => x.Loss.Average).ToArray());
            string dLoss = "";
            if (arms.Contains("random") && arm != "random")
            {
                var (dm, dh) = DrPruningExperimentReport.MeanInterval(a.Zip(Of("random"), (x, b) => x.Loss.Average - b.Loss.Average).ToArray());
                dLoss = string.Create(Inv, $"{dm:+0.0000;-0.0000} ± {dh:F4}");
            }
            sb.AppendLine(Inv, $"| {arm} | {Mean(all):P1} [{lo:P1}, {hi:P1}] | {delta} | {string.Join(" / ", a.Select(x => x.Eval.Accuracy.ToString("P1", Inv)))} | " +
                $"{Mean(tgt):P1} [{tl:P1}, {th:P1}] | {lm:F4} ± {lh:F4} | {dLoss} | {a.Average(x => x.CleanShare):P1} | {a.Average(x => x.Coverage):P3} | {a.Average(x => x.Balance):F2} | {a.Average(x => x.Distinct):F0} |");
        }
        sb.AppendLine();

        sb.AppendLine("Held-out accuracy per family (pooled over seeds; 95% CI):");
        sb.AppendLine();
        sb.AppendLine("| arm | " + string.Join(" | ", families) + " |");
        sb.AppendLine("|---|" + string.Concat(families.Select(_ => "---|")));
        foreach (var arm in arms)
            sb.AppendLine($"| {arm} | " + string.Join(" | ", families.Select(f =>
            {
                var x = Outcomes(arm, f);
                var (l, h) = Bootstrap.Interval(x);
                return string.Create(Inv, $"{Mean(x) * 100:F0} [{l * 100:F0}, {h * 100:F0}]");
            })) + " |");
        sb.AppendLine();

        sb.AppendLine("Held-out loss per family (token-mean cross-entropy of the clean reference responses, mean over seeds):");
        sb.AppendLine();
        sb.AppendLine("| arm | " + string.Join(" | ", families) + " |");
        sb.AppendLine("|---|" + string.Concat(families.Select(_ => "---:|")));
        foreach (var arm in arms)
            sb.AppendLine($"| {arm} | " + string.Join(" | ", families.Select(f =>
                Of(arm).Average(x => x.Loss.Domains.First(d => d.Domain == f).Loss).ToString("F3", Inv))) + " |");
        sb.AppendLine();

        sb.AppendLine("What each arm selected (records per family, mean over seeds; syllogism answers yes/no/unknown, summed over seeds):");
        sb.AppendLine();
        sb.AppendLine("| arm | " + string.Join(" | ", families) + " | syllogism yes/no/unknown |");
        sb.AppendLine("|---|" + string.Concat(families.Select(_ => "---:|")) + "---|");
        foreach (var arm in arms)
        {
            var a = Of(arm).ToList();
            string Ans(string k) => a.Sum(x => x.SyllogismAnswers.GetValueOrDefault(k)).ToString(Inv);
            sb.AppendLine($"| {arm} | " + string.Join(" | ", families.Select(f => a.Average(x => x.Families.GetValueOrDefault(f)).ToString("F0", Inv))) +
                $" | {Ans("yes")}/{Ans("no")}/{Ans("unknown")} |");
        }
        return sb.ToString();
    }

    private static double Mean(bool[] x) => x.Length == 0 ? double.NaN : x.Count(v => v) / (double)x.Length;

    /// <summary>Mean difference of paired 0/1 outcomes with a percentile-bootstrap 95% interval (items resampled together).</summary>
    public static string Delta(bool[] a, bool[] b)
    {
        if (a.Length != b.Length || a.Length == 0) return "";
        var (d, lo, hi) = PairedDifference(a, b);
        return string.Create(Inv, $"{d * 100:+0.0;-0.0;0.0} pt [{lo * 100:+0.0;-0.0;0.0}, {hi * 100:+0.0;-0.0;0.0}]");
    }

    public static (double Mean, double Lo, double Hi) PairedDifference(bool[] a, bool[] b, int resamples = 2000, ulong seed = 12345)
    {
        int n = a.Length;
        var diff = Enumerable.Range(0, n).Select(i => (a[i] ? 1 : 0) - (b[i] ? 1 : 0)).ToArray();
        var rng = new TestbedRng(seed);
        var means = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            long s = 0;
            for (int i = 0; i < n; i++) s += diff[(int)(rng.NextU64() % (ulong)n)];
            means[r] = s / (double)n;
        }
        Array.Sort(means);
        return (diff.Average(), means[(int)Math.Floor(0.025 * (resamples - 1))], means[(int)Math.Ceiling(0.975 * (resamples - 1))]);
    }
}
