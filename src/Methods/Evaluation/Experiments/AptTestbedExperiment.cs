using System.Diagnostics;
using System.Globalization;
using System.Text;
using Engine.Methods.Core.Progress;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Synthesis.APT;
using Engine.Methods.Training;
using Engine.Models;

namespace Engine.Methods.Evaluation.Experiments;

public sealed record AptExperimentOptions
{
    /// <summary>The target domain (testbed families or domains): APT mines its bad cases there.</summary>
    public string Target { get; init; } = "syllogism";
    /// <summary>SFT records (clean) that make the base model: all families, plus the target's extra share below.</summary>
    public int BaseN { get; init; } = 4000;
    /// <summary>Share of the base records drawn from the target alone (the rest from all families), so a short run gets the target to a majority.</summary>
    public double BaseTargetShare { get; init; } = 0.2;
    /// <summary>Most SFT steps of the base model. With <see cref="BaseMinAccuracy"/> &gt; 0 the base trains in chunks and stops at the first chunk that reaches that accuracy on validation items; otherwise it trains exactly this many steps (cosine).</summary>
    public int BaseSteps { get; init; } = 600;
    /// <summary>The base stops at the first chunk whose target-domain validation accuracy reaches this (the method assumes a base that solves most, not all, of the domain); 0 = a fixed <see cref="BaseSteps"/>.</summary>
    public double BaseMinAccuracy { get; init; } = 0.6;
    public int BaseChunkSteps { get; init; } = 50;
    /// <summary>Target-domain validation items for the base's stopping rule (test split, their own seed; not the reported test items).</summary>
    public int BaseValidationN { get; init; } = 100;
    /// <summary>Target-domain records with gold answers that APT mines (train split, disjoint seed).</summary>
    public int EvalN { get; init; } = 300;
    /// <summary>Retrieval pool: all families, clean, with the testbed's CDT tags (train split, disjoint seed).</summary>
    public int PoolN { get; init; } = 1500;
    public int Iterations { get; init; } = 2;
    /// <summary>Passes over each round's training set (APT trains epochs; the SFT baseline trains the same number of passes over the same selected examples, so both take the same steps).</summary>
    public int RoundEpochs { get; init; } = 5;
    /// <summary>When positive, optimizer steps per round instead of <see cref="RoundEpochs"/> (the first version of this experiment; a tiny bad-case set then gets hundreds of passes).</summary>
    public int RoundSteps { get; init; }
    public double LearningRate { get; init; } = 2e-3;
    public int LoraRank { get; init; } = 16;
    public double LoraAlpha { get; init; } = 32;
    public int BatchSize { get; init; } = 16;
    /// <summary>Held-out (test split) items per evaluation: target domain, and every other domain together.</summary>
    public int TestN { get; init; } = 200;
    public int OtherTestN { get; init; } = 260;
    public IReadOnlyList<ulong> Seeds { get; init; } = [1, 2, 3];
    public TestbedExperiment.TinyModelSize Size { get; init; } = new();
}

/// <summary>Held-out accuracy of one model: target domain and the other domains (retention), each with its items' outcomes.</summary>
public sealed record AptModelScore(EvalReport Target, EvalReport Other);

/// <summary>One seed: the base model's scores and, per arm, the scores of M_1..M_K (the last model repeats when a run stopped early) and its run reports.</summary>
public sealed record AptSeedResult(ulong Seed, AptModelScore Base, IReadOnlyList<AptModelScore> Apt, IReadOnlyList<AptModelScore> Sft,
    IReadOnlyList<AptIterationReport> AptReports, IReadOnlyList<AptIterationReport> SftReports, TimeSpan Wall, BandedBaseResult? Band = null);

/// <summary>
/// APT on the testbed against SFT on the same examples and against no training. Per seed: a tiny model is
/// fine-tuned on all families until it solves most (not all) of the target domain; APT then runs K rounds with the
/// exact checker as judge, tag retrieval from an all-family pool (the testbed's CDT tags), DPO + 0.5·SFT with LoRA,
/// merge. The baseline runs the same loop with the same selection and budget but trains SFT on the chosen responses.
/// Every model is evaluated on held-out test-split items: the target domain, and the other domains (retention).
/// </summary>
public static class AptTestbedExperiment
{
    public static IReadOnlyList<AptSeedResult> Run(string work, AptExperimentOptions o, Action<string>? log = null)
    {
        if (o.BaseTargetShare is < 0 or >= 1) throw new ArgumentException($"the base model's target share must be in [0, 1), got {o.BaseTargetShare}.");
        Directory.CreateDirectory(work);
        return o.Seeds.Select(s => RunSeed(Path.Combine(work, $"seed-{s}"), o, s, log)).ToList();
    }

    public static AptSeedResult RunSeed(string dir, AptExperimentOptions o, ulong seed, Action<string>? log = null)
    {
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(dir);
        var target = TaskRegistry.Parse(o.Target);
        var others = TaskRegistry.All.Except(target).ToList();
        int baseTarget = (int)Math.Round(o.BaseN * o.BaseTargetShare);
        var baseData = TestbedGenerator.Generate(new TestbedOptions { N = o.BaseN - baseTarget, Seed = seed, Split = TestbedSplit.Train })
            .Concat(TestbedGenerator.Generate(new TestbedOptions { Tasks = target, N = baseTarget, Seed = seed + 300, Split = TestbedSplit.Train })).ToList();
        var evalData = TestbedGenerator.Generate(new TestbedOptions { Tasks = target, N = o.EvalN, Seed = seed + 100, Split = TestbedSplit.Train });
        var poolData = TestbedGenerator.Generate(new TestbedOptions { N = o.PoolN, Seed = seed + 200, Split = TestbedSplit.Train });

        var init = TestbedExperiment.MakeTinyModel(Path.Combine(dir, "init"), TestbedExperiment.ChatText(baseData.Concat(evalData).Concat(poolData)), o.Size, seed);
        string baseDir;
        BandedBaseResult? band = null;
        var baseOptions = new TrainerOptions { LearningRate = 3e-3, Schedule = LrScheduleKind.Cosine, WarmupRatio = 0.05, BatchSize = 16, MaxSteps = o.BaseSteps, Seed = seed, LogSteps = 1_000_000 };
        if (o.BaseMinAccuracy <= 0)
        {
            baseDir = Path.Combine(dir, "base");
            TestbedExperiment.Sft(init, baseData, baseDir, baseOptions);
        }
        else
        {
            int chunk = Math.Min(o.BaseChunkSteps, o.BaseSteps);
            var validation = new EvalOptions { Tasks = target, N = o.BaseValidationN, Seed = seed + 555, MaxNewTokens = 24, BatchSize = 32 };
            band = BandedBase.Train(init, Path.Combine(dir, "base"), chunk, Math.Max(1, o.BaseSteps / chunk), o.BaseMinAccuracy,
                (from, to, k) => TestbedExperiment.Sft(from, baseData, to, baseOptions with { Schedule = LrScheduleKind.Constant, MaxSteps = chunk, Seed = seed + (ulong)k }),
                m => TestbedEvaluator.Evaluate(ModelBundle.Load(m), validation).Accuracy,
                log is null ? null : m => log($"seed {seed}: {m}"));
            baseDir = band.ModelDir;
        }
        var baseScore = Score(baseDir, target, others, o, seed);
        log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"seed {seed}: base model {baseScore.Target.Accuracy:P1} on {o.Target}, {baseScore.Other.Accuracy:P1} elsewhere"));

        var eval = Path.Combine(dir, "eval.jsonl");
        var pool = Path.Combine(dir, "pool.jsonl");
        TestbedWriter.Write(evalData, eval, TestbedFormat.Chat);
        TestbedWriter.Write(poolData, pool, TestbedFormat.Chat);
        var options = new AptOptions
        {
            Iterations = o.Iterations, Epochs = o.RoundEpochs, MaxSteps = o.RoundSteps > 0 ? o.RoundSteps : -1, LearningRate = o.LearningRate, LoraRank = o.LoraRank, LoraAlpha = o.LoraAlpha,
            LoraDropout = 0.1, BatchSize = o.BatchSize, GradientAccumulation = 1, MaxLength = 256, SaveSteps = 0, MaxNewTokens = 24,
            GenerationBatchSize = 32, Seed = seed,
        };
        (IReadOnlyList<AptModelScore>, IReadOnlyList<AptIterationReport>) Arm(string name, AptObjective objective)
        {
            var runner = new AptRunner(options with { Objective = objective }, new CheckerJudge(), progress: log is null ? null : new LogProgress(m => log($"seed {seed} {name}: {m}")))
            { TrainingProgress = TextWriter.Null };
            var result = runner.Run(baseDir, eval, pool, Path.Combine(dir, name), overwrite: true);
            var scores = new List<AptModelScore>();
            string model = baseDir;
            for (int t = 0; t < o.Iterations; t++)
            {
                var next = Path.Combine(AptRunner.IterationDir(Path.Combine(dir, name), t), "train");
                if (File.Exists(Path.Combine(next, "config.json"))) model = next;   // a run that stopped early keeps its last model
                scores.Add(Score(model, target, others, o, seed));
                log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"seed {seed} {name}: M_{t + 1} {scores[^1].Target.Accuracy:P1} on {o.Target}, {scores[^1].Other.Accuracy:P1} elsewhere"));
            }
            return (scores, result.Iterations);
        }
        var (apt, aptReports) = Arm("apt", AptObjective.DpoSft);
        var (sft, sftReports) = Arm("sft", AptObjective.Sft);
        return new AptSeedResult(seed, baseScore, apt, sft, aptReports, sftReports, clock.Elapsed, band);
    }

    private static AptModelScore Score(string model, IReadOnlyList<ITaskFamily> target, IReadOnlyList<ITaskFamily> others, AptExperimentOptions o, ulong seed)
    {
        var bundle = ModelBundle.Load(model);
        var e = new EvalOptions { N = o.TestN, Seed = seed + 999, MaxNewTokens = 24, BatchSize = 32 };
        return new AptModelScore(TestbedEvaluator.Evaluate(bundle, e with { Tasks = target }),
            TestbedEvaluator.Evaluate(bundle, e with { Tasks = others, N = o.OtherTestN }));
    }

    /// <summary>The results as markdown: pooled over seeds per arm and iteration, then per seed.</summary>
    public static string ToMarkdown(IReadOnlyList<AptSeedResult> results, AptExperimentOptions o)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        string Cell(IEnumerable<EvalReport> reports)
        {
            var outcomes = reports.SelectMany(r => r.Items.Select(i => i.Correct)).ToArray();
            var (lo, hi) = Bootstrap.Interval(outcomes);
            double acc = outcomes.Length == 0 ? 0 : outcomes.Count(x => x) / (double)outcomes.Length;
            return string.Create(inv, $"{acc:P1} [{lo:P1}, {hi:P1}]");
        }
        sb.AppendLine(string.Create(inv, $"Pooled over {results.Count} seeds ({string.Join(", ", results.Select(r => r.Seed))}); 95 % bootstrap CIs over all held-out items of all seeds."));
        sb.AppendLine();
        sb.AppendLine($"| model | arm | target ({o.Target}) accuracy | other domains (retention) |");
        sb.AppendLine("|---|---|---|---|");
        sb.AppendLine($"| M_0 (base) | no training | {Cell(results.Select(r => r.Base.Target))} | {Cell(results.Select(r => r.Base.Other))} |");
        for (int t = 0; t < o.Iterations; t++)
        {
            int k = t;
            sb.AppendLine($"| M_{t + 1} | APT (DPO + 0.5·SFT) | {Cell(results.Select(r => r.Apt[k].Target))} | {Cell(results.Select(r => r.Apt[k].Other))} |");
            sb.AppendLine($"| M_{t + 1} | SFT, same examples | {Cell(results.Select(r => r.Sft[k].Target))} | {Cell(results.Select(r => r.Sft[k].Other))} |");
        }
        sb.AppendLine();
        sb.AppendLine("Per seed (target / other, 95 % CIs):");
        sb.AppendLine();
        sb.AppendLine("| seed | M_0 | " + string.Join(" | ", Enumerable.Range(1, o.Iterations).SelectMany(t => new[] { $"APT M_{t}", $"SFT M_{t}" })) + " | wall |");
        sb.AppendLine("|---|---|" + string.Concat(Enumerable.Repeat("---|", 2 * o.Iterations)) + "---|");
        string Pair(AptModelScore s) => string.Create(inv, $"{s.Target.Accuracy:P1} [{s.Target.Lo:P0}, {s.Target.Hi:P0}] / {s.Other.Accuracy:P1} [{s.Other.Lo:P0}, {s.Other.Hi:P0}]");
        foreach (var r in results)
            sb.AppendLine($"| {r.Seed} | {Pair(r.Base)} | " + string.Join(" | ", Enumerable.Range(0, o.Iterations).SelectMany(t => new[] { Pair(r.Apt[t]), Pair(r.Sft[t]) }))
                + string.Create(inv, $" | {r.Wall.TotalSeconds:F0} s |"));
        foreach (var r in results.Where(r => r.Band is not null))
            sb.AppendLine(string.Create(inv, $"- seed {r.Seed} base: {r.Band!.Describe()}"));
        sb.AppendLine();
        sb.AppendLine("APT's own reports (checker judge on the mined set; bad cases, domain accuracy, retrieved, pairs):");
        sb.AppendLine();
        sb.AppendLine("| seed | arm | iteration | bad cases | judged accuracy (mined set) | retrieved | pairs (similar + bad) | dropped |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---|---:|");
        foreach (var r in results)
            foreach (var (arm, reports) in new[] { ("APT", r.AptReports), ("SFT", r.SftReports) })
                foreach (var it in reports)
                    sb.AppendLine(string.Create(inv, $"| {r.Seed} | {arm} | {it.Iteration} | {it.Domain.Bad} | {it.Domain.Accuracy:P1} | {it.Retrieved} | {it.Pairs} ({it.SimilarPairs} + {it.BadPairs}) | {it.DroppedBadPairs + it.DroppedSimilarPairs} |"));
        return sb.ToString();
    }
}
