using System.Diagnostics;
using System.Globalization;
using Engine.Methods.Curriculum.CommonIT;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Sampling;
using Engine.Models;
using Engine.Models.Generation;

namespace Engine.Methods.Evaluation.Experiments;

public sealed record CommonItExperimentOptions
{
    /// <summary>Task families of the pool (≥ 6 for the issue's experiment).</summary>
    public string Tasks { get; init; } = "syllogism,list_ops,multiple_choice,unit_convert,expr_eval,sequence,arith,word_problem";
    /// <summary>Pool size (a third each of short, medium and long responses).</summary>
    public int N { get; init; } = 2400;
    public int Steps { get; init; } = 1500;
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 3e-3;
    /// <summary>Held-out items per seed (families balanced).</summary>
    public int EvalN { get; init; } = 320;
    public int MaxNewTokens { get; init; } = 40;
    public IReadOnlyList<ulong> Seeds { get; init; } = [1, 2, 3];
    /// <summary>random (the baseline) and the CommonIT groupings: task, length, embedding; domain (the testbed's coarser field) is also accepted.</summary>
    public IReadOnlyList<string> Arms { get; init; } = ["random", "task", "length", "embedding"];
    public int LengthGroups { get; init; } = 8;
    /// <summary>Minimum group size; 0 = the batch size.</summary>
    public int MinGroupSize { get; init; }
    /// <summary>Reference records per family for the embedding anchors (drawn from another seed).</summary>
    public int ReferencePerTask { get; init; } = 5;
    /// <summary>Encoder for the embedding groups: null = the experiment's (untrained) base model; else a model folder.</summary>
    public string? Encoder { get; init; }
    public TestbedExperiment.TinyModelSize Size { get; init; } = new();
    public int EvalResamples { get; init; } = 2000;
}

public sealed record CommonItExperimentResult(IReadOnlyList<ArmRun> Runs, string Markdown);

/// <summary>
/// CommonIT on the testbed: a multi-family pool with mixed response lengths, one tiny base model per seed, and the same
/// SFT recipe and number of steps with random batches (the baseline) and with one-group-per-batch batches for each
/// grouping (task, response length, nearest reference embedding); held-out accuracy per family with bootstrap CIs.
/// </summary>
public static class CommonItTestbedExperiment
{
    public static CommonItExperimentResult Run(string work, CommonItExperimentOptions o, Action<string>? log = null)
    {
        Directory.CreateDirectory(work);
        var tasks = TaskRegistry.Parse(o.Tasks);
        int minGroup = o.MinGroupSize > 0 ? o.MinGroupSize : o.BatchSize;
        var runs = new List<ArmRun>();
        foreach (var seed in o.Seeds)
        {
            var dir = Path.Combine(work, $"seed{seed}");
            var pool = TestbedPool.MixedLengths(tasks, o.N, seed);
            var poolPath = Path.Combine(dir, "pool.jsonl");
            Directory.CreateDirectory(dir);
            TestbedWriter.Write(pool, poolPath, TestbedFormat.Chat, hideHidden: true);
            var baseDir = TestbedExperiment.MakeTinyModel(Path.Combine(dir, "base"), TestbedExperiment.ChatText(pool), o.Size, seed);
            // Embedding anchors: a few records per family from a disjoint seed (the paper's MMLU dev questions per subject).
            var reference = Path.Combine(dir, "reference.jsonl");
            TestbedWriter.Write(TestbedPool.MixedLengths(tasks, o.ReferencePerTask * tasks.Count, seed + 5000), reference, TestbedFormat.Chat, hideHidden: true);
            var eval = new EvalOptions { Tasks = tasks, N = o.EvalN, Seed = seed + 99, MaxNewTokens = o.MaxNewTokens, BatchSize = 32, Resamples = o.EvalResamples };
            foreach (var arm in o.Arms)
            {
                string data = poolPath, note = "";
                if (arm != "random")
                {
                    var metric = arm switch
                    {
                        "task" or "domain" => GroupingMetric.Task, "length" => GroupingMetric.Length, "embedding" => GroupingMetric.Embedding,
                        _ => throw new ArgumentException($"Unknown arm '{arm}' (random, task, domain, length, embedding)."),
                    };
                    data = Path.Combine(dir, $"grouped-{arm}.jsonl");
                    var merges = new List<string>();
                    var assignment = new CommonItGrouper(new CommonItOptions
                    {
                        By = metric, Field = arm == "domain" ? "domain" : "task", Groups = o.LengthGroups, MinGroupSize = minGroup, Reference = reference,
                        Model = metric == GroupingMetric.Task ? null : metric == GroupingMetric.Embedding ? o.Encoder ?? baseDir : baseDir,
                    }, m => { merges.Add(m); log?.Invoke($"seed {seed} {arm}: {m}"); }).Run(poolPath, data);
                    note = GroupNote(assignment, pool);
                }
                var (steps, stepSeconds, trainSeconds) = Train(baseDir, data, Path.Combine(dir, arm), o, seed, grouped: arm != "random");
                var report = TestbedEvaluator.Evaluate(ModelBundle.Load(Path.Combine(dir, arm)), eval);
                log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"seed {seed} {arm}: accuracy {report.Accuracy:P1} [{report.Lo:P1}, {report.Hi:P1}], {stepSeconds:F3} s/step"));
                runs.Add(new ArmRun(arm, seed, report, steps, stepSeconds, trainSeconds, note));
            }
        }
        return new CommonItExperimentResult(runs, ArmComparison.Markdown(runs, "random", o.EvalResamples));
    }

    /// <summary>SFT of the base model on a data file, random batches or one group per batch (remainders kept).</summary>
    private static (long Steps, double StepSeconds, double TrainSeconds) Train(string baseDir, string data, string outDir, CommonItExperimentOptions o, ulong seed, bool grouped)
    {
        var bundle = ModelBundle.Load(baseDir);
        var (examples, _) = TrainingDataset.LoadSft([data], ExampleTokenizer.FromModel(bundle));
        var opts = new TrainerOptions
        {
            LearningRate = o.LearningRate, Schedule = LrScheduleKind.Cosine, WarmupRatio = 0.05, BatchSize = o.BatchSize, MaxSteps = o.Steps,
            Seed = seed, LogSteps = 100000, OutputDir = outDir, PadTokenId = bundle.Tokenizer.PadTokenId ?? 0,
        };
        IBatchSampler? sampler = grouped ? new GroupedBatchSampler(examples.Select(e => e.Group).ToArray(), opts.StepBatchSize, seed, GroupRemainder.Keep) : null;
        var clock = Stopwatch.StartNew();
        var result = new SftTrainer(new TrainableModel(bundle.Model, null, baseDir), examples, opts, sampler).Train();
        double total = clock.Elapsed.TotalSeconds;
        bundle.Tokenizer.Save(outDir);
        (bundle.Generation ?? new GenerationConfig { EosTokenIds = bundle.EosTokenIds }).Save(outDir);
        return (result.Steps, StepSeconds(result), total);
    }

    /// <summary>Mean seconds per optimizer step from the trainer's per-step throughput.</summary>
    public static double StepSeconds(TrainResult r) =>
        r.History.Count == 0 ? double.NaN : r.History.Average(h => h.TokensPerSecond > 0 ? h.Tokens / h.TokensPerSecond : 0);

    /// <summary>Group count and sizes, and how pure the groups are in task family (share of records in their group's majority family).</summary>
    private static string GroupNote(GroupAssignment a, IReadOnlyList<TestbedRecord> pool)
    {
        int majority = a.GroupOfRecord.Select((g, i) => (g, pool[i].Task)).GroupBy(x => x.g)
            .Sum(g => g.GroupBy(x => x.Task).Max(t => t.Count()));
        return string.Create(CultureInfo.InvariantCulture,
            $"{a.Groups.Count} groups (sizes {string.Join(", ", a.Groups.Select(g => g.Size))}), {a.MergeLog.Count} merges, family purity {(double)majority / pool.Count:P1}");
    }
}
