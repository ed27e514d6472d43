using System.Globalization;
using System.Text;
using Engine.Methods.Evaluation.Testbed;

namespace Engine.Methods.Evaluation.Experiments;

/// <summary>One arm of an experiment trained and evaluated with one seed.</summary>
/// <param name="StepSeconds">Mean wall time of an optimizer step (forward, backward, update), without per-epoch work.</param>
/// <param name="TrainSeconds">Wall time of the whole training run, per-epoch work included.</param>
public sealed record ArmRun(string Arm, ulong Seed, EvalReport Eval, long Steps, double StepSeconds, double TrainSeconds, string Note = "");

/// <summary>
/// Compares the arms of a multi-seed testbed experiment against a baseline arm: accuracy per seed, accuracy pooled over
/// seeds with a percentile-bootstrap CI over items, and the paired difference to the baseline (every seed evaluates all
/// arms on the same items, so items are resampled together), overall and per task family, as markdown.
/// </summary>
public static class ArmComparison
{
    public sealed record Difference(double Mean, double Lo, double Hi);

    /// <summary>Mean of a − b over paired 0/1 outcomes, with a percentile-bootstrap CI (items resampled in pairs).</summary>
    public static Difference Paired(IReadOnlyList<bool> a, IReadOnlyList<bool> b, int resamples = 2000, double level = 0.95, ulong seed = 12345)
    {
        if (a.Count != b.Count) throw new ArgumentException($"Paired outcomes of different lengths: {a.Count} and {b.Count}.");
        int n = a.Count;
        if (n == 0) return new Difference(double.NaN, double.NaN, double.NaN);
        var rng = new TestbedRng(seed);
        var diffs = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            int d = 0;
            for (int i = 0; i < n; i++)
            {
                int k = (int)(rng.NextU64() % (ulong)n);
                d += (a[k] ? 1 : 0) - (b[k] ? 1 : 0);
            }
            diffs[r] = (double)d / n;
        }
        Array.Sort(diffs);
        double tail = (1 - level) / 2;
        double mean = Enumerable.Range(0, n).Sum(i => (a[i] ? 1 : 0) - (b[i] ? 1 : 0)) / (double)n;
        return new Difference(mean, diffs[(int)Math.Floor(tail * (resamples - 1))], diffs[(int)Math.Ceiling((1 - tail) * (resamples - 1))]);
    }

    /// <summary>Items of one arm over all seeds, in seed order then item order (aligned across arms), optionally of one family.</summary>
    public static bool[] Pooled(IEnumerable<ArmRun> runs, string arm, string? task = null) =>
        runs.Where(r => r.Arm == arm).OrderBy(r => r.Seed)
            .SelectMany(r => r.Eval.Items.Where(i => task is null || i.Task == task).OrderBy(i => i.Id, StringComparer.Ordinal).Select(i => i.Correct))
            .ToArray();

    public static string Markdown(IReadOnlyList<ArmRun> runs, string baseline, int resamples = 2000)
    {
        var inv = CultureInfo.InvariantCulture;
        var arms = runs.Select(r => r.Arm).Distinct().ToList();
        var seeds = runs.Select(r => r.Seed).Distinct().Order().ToList();
        var tasks = runs.SelectMany(r => r.Eval.Items.Select(i => i.Task)).Distinct().Order(StringComparer.Ordinal).ToList();
        string Pct(double x) => double.IsNaN(x) ? "–" : (100 * x).ToString("F1", inv);
        string Ci(bool[] xs) { var (lo, hi) = Bootstrap.Interval(xs, resamples); return $"{Pct(xs.Count(x => x) / (double)Math.Max(1, xs.Length))} [{Pct(lo)}, {Pct(hi)}]"; }
        string Diff(string arm, string? task)
        {
            if (arm == baseline) return "(baseline)";
            var d = Paired(Pooled(runs, arm, task), Pooled(runs, baseline, task), resamples);
            string sign(double x) => (x >= 0 ? "+" : "") + Pct(x);
            return $"{sign(d.Mean)} [{sign(d.Lo)}, {sign(d.Hi)}]";
        }

        var sb = new StringBuilder();
        sb.AppendLine(inv, $"Held-out accuracy (%), {seeds.Count} seeds; pooled = all seeds' items, 95% percentile-bootstrap CI over items; Δ = paired difference to `{baseline}` (same items), 95% CI.");
        sb.AppendLine();
        sb.Append("| arm | ").Append(string.Join(" | ", seeds.Select(s => $"seed {s}"))).AppendLine(" | pooled [95% CI] | Δ vs " + baseline + " [95% CI] | step time (s) | train time (s) |");
        sb.Append("|---|").Append(string.Concat(seeds.Select(_ => "---:|"))).AppendLine("---|---|---:|---:|");
        foreach (var arm in arms)
        {
            var mine = runs.Where(r => r.Arm == arm).ToList();
            sb.Append(inv, $"| {arm} | ");
            sb.Append(string.Join(" | ", seeds.Select(s => mine.FirstOrDefault(r => r.Seed == s) is { } r ? Pct(r.Eval.Accuracy) : "–")));
            sb.Append(inv, $" | {Ci(Pooled(runs, arm))} | {Diff(arm, null)} | {mine.Average(r => r.StepSeconds).ToString("F3", inv)} | {mine.Average(r => r.TrainSeconds).ToString("F0", inv)} |");
            sb.AppendLine();
        }
        sb.AppendLine();
        sb.AppendLine("Per task family (pooled over seeds; Δ to the baseline, paired):");
        sb.AppendLine();
        var others = arms.Where(a => a != baseline).ToList();
        var columns = arms.Concat(others.Select(a => $"Δ {a}")).ToList();
        sb.Append("| family | ").Append(string.Join(" | ", columns)).AppendLine(" |");
        sb.Append("|---|").AppendLine(string.Concat(columns.Select(_ => "---|")));
        foreach (var t in tasks)
        {
            var cells = arms.Select(a => Ci(Pooled(runs, a, t))).Concat(others.Select(a => Diff(a, t)));
            sb.Append(inv, $"| {t} | ").Append(string.Join(" | ", cells)).AppendLine(" |");
        }
        var notes = runs.Where(r => r.Note.Length > 0).OrderBy(r => r.Arm).ThenBy(r => r.Seed).ToList();
        if (notes.Count > 0)
        {
            sb.AppendLine();
            foreach (var r in notes) sb.AppendLine(inv, $"- {r.Arm}, seed {r.Seed}: {r.Note}");
        }
        return sb.ToString();
    }
}
