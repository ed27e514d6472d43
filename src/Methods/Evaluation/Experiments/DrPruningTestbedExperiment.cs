using System.Diagnostics;
using System.Globalization;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Pruning.DRPruning;
using Engine.Methods.Training;
using Engine.Models;
using Engine.Models.Config;

namespace Engine.Methods.Evaluation.Experiments;

public sealed record DrPruningExperimentOptions
{
    /// <summary>Testbed domains and their shares of the training mixture ("domain:share,…"; shares are normalised).</summary>
    public string Mixture { get; init; } = "logic:0.55,math:0.25,text:0.15,code:0.05";
    /// <summary>Training records in the mixture.</summary>
    public int N { get; init; } = 4000;
    /// <summary>Held-out records per domain the controller reads (train split, another seed) — also the ladder's loss.</summary>
    public int ValidationPerDomain { get; init; } = 60;
    /// <summary>Test-split items per domain for the reported loss and accuracy.</summary>
    public int TestPerDomain { get; init; } = 100;
    /// <summary>The source: Llama-2-like multi-head attention (one KV head per query head), head_dim 16.</summary>
    public TestbedExperiment.TinyModelSize Source { get; init; } = new(Hidden: 64, Layers: 2, Heads: 4, KvHeads: 4, Intermediate: 160);
    /// <summary>Smaller models trained like the source (same head_dim), for the ℓ(N) fit of the reference losses.</summary>
    public IReadOnlyList<TestbedExperiment.TinyModelSize> Ladder { get; init; } =
    [
        new(Hidden: 16, Layers: 2, Heads: 1, KvHeads: 1, Intermediate: 40),
        new(Hidden: 32, Layers: 2, Heads: 2, KvHeads: 2, Intermediate: 80),
        new(Hidden: 48, Layers: 2, Heads: 3, KvHeads: 3, Intermediate: 120),
    ];
    /// <summary>The pruned shape: about half the source's non-embedding parameters, hidden = heads × head_dim (a config every transformers version reads).</summary>
    public TargetShape Target { get; init; } = new(HiddenSize: 48, NumHeads: 3, NumKvHeads: 3, NumLayers: 2, IntermediateSize: 96);
    public int SourceSteps { get; init; } = 600;
    public double SourceLearningRate { get; init; } = 3e-3;
    public int PruneSteps { get; init; } = 300;
    public int ContinueSteps { get; init; } = 200;
    public double LearningRate { get; init; } = 1e-3;
    public double ContinueLearningRate { get; init; } = 1e-3;
    public int UpdateEvery { get; init; } = 10;
    public int BatchSize { get; init; } = 16;
    public int MaxNewTokens { get; init; } = 16;
    public IReadOnlyList<ulong> Seeds { get; init; } = [1, 2, 3];

    public IReadOnlyList<(string Domain, double Share)> ParseMixture()
    {
        var parts = Mixture.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p =>
        {
            var kv = p.Split(':');
            if (kv.Length != 2 || !double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var share) || !(share > 0))
                throw new ArgumentException($"--mixture: '{p}' must be domain:share with a positive share.");
            if (!TaskRegistry.All.Any(f => f.Domain == kv[0])) throw new ArgumentException($"--mixture: '{kv[0]}' is not a testbed domain ({string.Join(", ", TaskRegistry.All.Select(f => f.Domain).Distinct())}).");
            return (kv[0], share);
        }).ToList();
        if (parts.Count < 2) throw new ArgumentException("--mixture needs at least two domains.");
        double sum = parts.Sum(p => p.Item2);
        return parts.Select(p => (p.Item1, p.Item2 / sum)).ToList();
    }
}

/// <summary>One pruned model of one arm and seed, evaluated on the test items.</summary>
public sealed record DrPruningArmResult(string Arm, ulong Seed, DomainLossReport Loss, EvalReport Accuracy, long Parameters, long NonEmbedding,
    IReadOnlyList<string> Domains, double[] FinalWeights, double[] Reference, double WallSeconds)
{
    public double AccuracyOf(string domain) => Accuracy.Groups.First(g => g.By == "domain" && g.Key == domain).Accuracy;
    public double WorstAccuracy => Domains.Min(AccuracyOf);
    public double AverageAccuracy => Domains.Average(AccuracyOf);
}

/// <summary>One seed: the source, the ladder's fit and every arm.</summary>
public sealed record DrPruningSeedResult(ulong Seed, DomainLossReport SourceLoss, EvalReport SourceAccuracy, long SourceNonEmbedding,
    IReadOnlyList<(long NonEmbedding, DomainLossReport Loss)> Ladder, long TargetNonEmbedding, double[] ReferenceLoss, IReadOnlyList<DrPruningArmResult> Arms);

/// <summary>
/// DRPruning on the testbed. Per seed: a domain mixture with unequal shares (one domain at 5 %), a tiny source model
/// trained on it, a ladder of smaller models trained the same way whose held-out per-domain losses give each domain's
/// ℓ(N) law (DRPruning's Huber/L-BFGS fit) and so the reference loss at the target size; then the source is pruned to
/// the target shape and continued-pre-trained with the same steps by three arms — DRPruning (DRO with dynamic
/// reference loss and ratio), no DRO (fixed proportions, LLM-Shearing's plain pruning) and Sheared-LLaMA's dynamic
/// batch loading (fixed reference losses) — and each exported dense model is scored on test items: held-out loss and
/// exact-match accuracy per domain.
/// </summary>
public static class DrPruningTestbedExperiment
{
    public static readonly string[] Arms = ["drpruning", "no-dro", "sheared"];

    public static IReadOnlyList<DrPruningSeedResult> Run(string work, DrPruningExperimentOptions o, Action<string>? log = null)
    {
        log ??= _ => { };
        var results = new List<DrPruningSeedResult>();
        foreach (var seed in o.Seeds) results.Add(RunSeed(Path.Combine(work, $"seed-{seed}"), o, seed, log));
        return results;
    }

    public static DrPruningSeedResult RunSeed(string work, DrPruningExperimentOptions o, ulong seed, Action<string> log)
    {
        Directory.CreateDirectory(work);
        var mixture = o.ParseMixture();
        var train = new List<TestbedRecord>();
        var validation = new List<TestbedRecord>();
        var test = new List<TestbedRecord>();
        for (int d = 0; d < mixture.Count; d++)
        {
            var tasks = TaskRegistry.Parse(mixture[d].Domain);
            ulong s = seed * 1000 + (ulong)d * 10;
            train.AddRange(TestbedGenerator.Generate(new TestbedOptions { Tasks = tasks, N = Math.Max(2, (int)Math.Round(o.N * mixture[d].Share)), Seed = s + 1, Split = TestbedSplit.Train }));
            validation.AddRange(TestbedGenerator.Generate(new TestbedOptions { Tasks = tasks, N = o.ValidationPerDomain, Seed = s + 2, Split = TestbedSplit.Train }));
            test.AddRange(TestbedGenerator.Generate(new TestbedOptions { Tasks = tasks, N = o.TestPerDomain, Seed = s + 3, Split = TestbedSplit.Test }));
        }
        string dataPath = Path.Combine(work, "mixture.jsonl"), validationPath = Path.Combine(work, "validation.jsonl");
        TestbedWriter.Write(train, dataPath, TestbedFormat.Chat, hideHidden: true);
        TestbedWriter.Write(validation, validationPath, TestbedFormat.Chat, hideHidden: true);
        var corpus = TestbedExperiment.ChatText(train).ToList();
        var sft = new TrainerOptions { LearningRate = o.SourceLearningRate, Schedule = LrScheduleKind.Cosine, WarmupRatio = 0.05, BatchSize = o.BatchSize, Seed = seed, LogSteps = 100000, MaxSteps = o.SourceSteps };

        // Source model, and the ladder for the reference losses (same data, same recipe).
        var sourceDir = TrainTiny(Path.Combine(work, "source"), corpus, train, o.Source, sft, seed, log);
        var ladder = new List<(long, DomainLossReport)>();
        foreach (var (size, i) in o.Ladder.Select((s, i) => (s, i)))
        {
            var dir = TrainTiny(Path.Combine(work, $"ladder-{i}"), corpus, train, size, sft, seed, log);
            ladder.Add((DrPruningRunner.NonEmbedding(ModelConfig.Load(dir)), DomainLossEvaluator.Evaluate(ModelBundle.Load(dir), validation)));
        }
        var sourceConfig = ModelConfig.Load(sourceDir);
        ladder.Add((DrPruningRunner.NonEmbedding(sourceConfig), DomainLossEvaluator.Evaluate(ModelBundle.Load(sourceDir), validation)));
        long targetN = TargetNonEmbedding(sourceConfig, o.Target);
        var domains = ladder[0].Item2.Domains.Select(d => d.Domain).ToArray();
        var reference = ReferenceLosses.Predict(ladder.Select(l => l.Item1).ToList(),
            ladder.Select(l => domains.Select(d => l.Item2.Domains.First(x => x.Domain == d).Loss).ToArray()).ToList(), targetN);
        log($"seed {seed}: reference losses at N = {targetN:N0}: {string.Join(", ", domains.Select((d, k) => $"{d} {reference[k]:F3}"))}");

        var shapePath = Path.Combine(work, "target.json");
        File.WriteAllText(shapePath, o.Target.ToJson().ToJsonString());
        var items = test;
        var evalOptions = new EvalOptions { MaxNewTokens = o.MaxNewTokens, BatchSize = 32 };
        var sourceBundle = ModelBundle.Load(sourceDir);
        var sourceLoss = DomainLossEvaluator.Evaluate(sourceBundle, items);
        var sourceAcc = TestbedEvaluator.Evaluate(sourceBundle, items, evalOptions);
        var proportions = mixture.ToDictionary(m => m.Domain, m => m.Share);
        var referenceByDomain = domains.Select((d, k) => (d, reference[k])).ToDictionary(x => x.d, x => x.Item2);

        var arms = new List<DrPruningArmResult>();
        foreach (var arm in Arms)
        {
            var controller = arm switch
            {
                "drpruning" => new DomainControllerOptions { Controller = MixtureController.Dro, UpdateEvery = o.UpdateEvery },
                "no-dro" => new DomainControllerOptions { Controller = MixtureController.Constant, UpdateEvery = o.UpdateEvery },
                _ => new DomainControllerOptions { Controller = MixtureController.Sheared, UpdateEvery = o.UpdateEvery },
            };
            var run = DrPruningRunner.Run(new DrPruningOptions
            {
                Model = sourceDir, Data = [dataPath], EvalData = [validationPath], TargetConfig = shapePath, Output = Path.Combine(work, arm),
                Proportions = proportions, ReferenceLoss = arm == "no-dro" ? null : referenceByDomain, Controller = controller,
                Steps = o.PruneSteps, LearningRate = o.LearningRate, ContinueSteps = o.ContinueSteps, ContinueLearningRate = o.ContinueLearningRate,
                BatchSize = o.BatchSize, GradientAccumulation = 1, Seed = seed, LogSteps = 100000, MaxLength = 0,
            }, log: m => log($"seed {seed} {arm}: {m}"));
            var bundle = ModelBundle.Load(run.FinalModel);
            var loss = DomainLossEvaluator.Evaluate(bundle, items);
            var acc = TestbedEvaluator.Evaluate(bundle, items, evalOptions);
            arms.Add(new DrPruningArmResult(arm, seed, loss, acc, run.PrunedParameters, run.PrunedNonEmbedding, run.Domains, run.FinalWeights, run.Reference, run.WallSeconds));
            log($"seed {seed} {arm}: worst-domain loss {loss.Worst.Loss:F4} ({loss.Worst.Domain}), average {loss.Average:F4}; accuracy {acc.Accuracy:P1}; {run.WallSeconds:F0} s");
        }
        return new DrPruningSeedResult(seed, sourceLoss, sourceAcc, DrPruningRunner.NonEmbedding(sourceConfig), ladder, targetN, reference, arms);
    }

    private static string TrainTiny(string dir, IReadOnlyList<string> corpus, IReadOnlyList<TestbedRecord> train, TestbedExperiment.TinyModelSize size,
        TrainerOptions sft, ulong seed, Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        var init = TestbedExperiment.MakeTinyModel(dir + "-init", corpus, size, seed);
        var r = TestbedExperiment.Sft(init, train, dir, sft);
        log($"seed {seed}: trained {Path.GetFileName(dir)} (hidden {size.Hidden}, {size.Layers} layers, MLP {size.Intermediate}) {r.Steps} steps, loss {r.FinalLoss:F3}, {clock.Elapsed.TotalSeconds:F0} s");
        return dir;
    }

    /// <summary>The non-embedding parameters a source of this config has once pruned to <paramref name="t"/>.</summary>
    public static long TargetNonEmbedding(ModelConfig source, TargetShape t) => DrPruningRunner.NonEmbedding(source with
    {
        HiddenSize = t.HiddenSize, NumHeads = t.NumHeads, NumKvHeads = t.NumKvHeads, NumLayers = t.NumLayers, IntermediateSize = t.IntermediateSize,
    });
}
