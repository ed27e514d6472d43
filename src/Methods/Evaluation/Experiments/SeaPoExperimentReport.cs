using System.Globalization;
using System.Text;
using Engine.Methods.Synthesis.SeaPO;

namespace Engine.Methods.Evaluation.Experiments;

/// <summary>The SeaPO experiment as markdown: per arm, accuracy and the three error rates pooled over seeds with 95% bootstrap CIs; injection quality; timings.</summary>
public static class SeaPoExperimentReport
{
    public static string ToMarkdown(SeaPoExperimentResult r)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        string Rate(IReadOnlyList<bool> xs)
        {
            var (lo, hi) = Bootstrap.Interval(xs);
            return string.Create(inv, $"{xs.Count(x => x) / (double)Math.Max(1, xs.Count):P1} [{lo:P1}, {hi:P1}]");
        }
        var seeds = r.Outcomes.Select(o => o.Seed).Distinct().OrderBy(s => s).ToList();
        sb.AppendLine("| arm | accuracy | wrong answer (correctness) | broken step (logic) | fabricated claim (hallucination) | accuracy per seed |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var g in r.Outcomes.GroupBy(o => o.Arm))
        {
            var correct = g.SelectMany(o => o.Correct).ToList();
            var errs = g.SelectMany(o => o.Errors).ToList();
            var perSeed = string.Join(" / ", seeds.Select(s => g.FirstOrDefault(o => o.Seed == s) is { } o ? (o.Correct.Count(c => c) / (double)o.Correct.Count).ToString("P1", inv) : "–"));
            sb.AppendLine(inv, $"| {g.Key} | {Rate(correct)} | {Rate(errs.Select(e => e.WrongAnswer).ToList())} | {Rate(errs.Select(e => e.BrokenStep).ToList())} | {Rate(errs.Select(e => e.FabricatedClaim).ToList())} | {perSeed} |");
        }
        sb.AppendLine();
        sb.AppendLine("Rates are over all held-out items of all seeds pooled (95% percentile bootstrap over items).");
        if (r.Quality.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Negatives: share that carries the intended error (by the same classifier), pooled over seeds");
            sb.AppendLine();
            sb.AppendLine("| source | type | negatives | intended error | wrong answer | broken step | fabricated claim |");
            sb.AppendLine("|---|---|---:|---|---:|---:|---:|");
            foreach (var g in r.Quality.GroupBy(q => (q.Source, q.Type)).OrderBy(g => g.Key.Source, StringComparer.Ordinal).ThenBy(g => g.Key.Type))
            {
                int n = g.Sum(q => q.Negatives);
                double Pct(int x) => n == 0 ? 0 : x / (double)n;
                sb.AppendLine(inv, $"| {g.Key.Source} | {g.Key.Type.Name()} | {n} | {Pct(g.Sum(q => q.Intended)):P1} | {Pct(g.Sum(q => q.WrongAnswer)):P1} | {Pct(g.Sum(q => q.BrokenStep)):P1} | {Pct(g.Sum(q => q.Claim)):P1} |");
            }
        }
        sb.AppendLine();
        sb.AppendLine("Stage times (s) per seed: " + string.Join("; ", seeds.Select(s =>
            $"seed {s}: " + string.Join(", ", r.Timings.Where(t => t.Seed == s).Select(t => string.Create(inv, $"{t.Stage} {t.Seconds:F0}"))))));
        return sb.ToString();
    }
}
