using System.Diagnostics;
using System.Globalization;
using Engine.Methods.Curriculum.CCL;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Models;
using Engine.Models.Generation;

namespace Engine.Methods.Evaluation.Experiments;

public sealed record CclExperimentOptions
{
    public string Tasks { get; init; } = "syllogism,list_ops,multiple_choice,unit_convert,expr_eval,sequence,arith,word_problem";
    /// <summary>Training pool size (a third each of short, medium and long responses).</summary>
    public int N { get; init; } = 2400;
    /// <summary>Validation records (another seed) whose consistency gives CCL's proficiency.</summary>
    public int ValidationN { get; init; } = 96;
    public int Steps { get; init; } = 750;
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 3e-3;
    public int EvalN { get; init; } = 320;
    public int MaxNewTokens { get; init; } = 40;
    public IReadOnlyList<ulong> Seeds { get; init; } = [1, 2, 3];
    /// <summary>vanilla (SFT, the baseline), rdrop (consistency with w ≡ 1), ccl.</summary>
    public IReadOnlyList<string> Arms { get; init; } = ["vanilla", "rdrop", "ccl"];
    public double Alpha { get; init; } = 1.0;
    public double Lambda { get; init; } = 0.8;
    /// <summary>
    /// Residual and attention dropout of every arm (vanilla included, so the arms differ only in the loss). Attention
    /// dropout is off by default here: it moves attention off the fused kernel onto the composed path, several times slower
    /// on the CPU, and the residual masks alone make the two views differ.
    /// </summary>
    public double HiddenDropout { get; init; } = 0.1;
    public double AttentionDropout { get; init; }
    public TestbedExperiment.TinyModelSize Size { get; init; } = new();
    public int EvalResamples { get; init; } = 2000;
    /// <summary>
    /// Interleaved timing per seed: this many alternating pairs of a vanilla and a two-view (CCL) forward + backward on the
    /// same batches, so the ratio is not skewed by the load of a shared machine changing between arms (0 = skip).
    /// </summary>
    public int CostReps { get; init; } = 30;
}

public sealed record CclExperimentResult(IReadOnlyList<ArmRun> Runs, IReadOnlyDictionary<(string Arm, ulong Seed), IReadOnlyList<CclEpochStats>> Epochs,
    IReadOnlyList<double> InterleavedRatios, string Markdown);

/// <summary>
/// CCL on the testbed: a multi-family pool with mixed response lengths, one tiny base model per seed, and the same
/// number of steps of vanilla SFT, R-Drop (consistency with w ≡ 1) and CCL, all with the same dropout and the same
/// example-mean loss; held-out accuracy per family with bootstrap CIs, and the step-time cost of the second forward.
/// </summary>
public static class CclTestbedExperiment
{
    public static CclExperimentResult Run(string work, CclExperimentOptions o, Action<string>? log = null)
    {
        if (o.HiddenDropout <= 0 && o.AttentionDropout <= 0) throw new ArgumentException("The CCL experiment needs dropout (hidden or attention) for the second view.");
        Directory.CreateDirectory(work);
        var tasks = TaskRegistry.Parse(o.Tasks);
        var runs = new List<ArmRun>();
        var epochs = new Dictionary<(string, ulong), IReadOnlyList<CclEpochStats>>();
        var ratios = new List<double>();
        foreach (var seed in o.Seeds)
        {
            var dir = Path.Combine(work, $"seed{seed}");
            Directory.CreateDirectory(dir);
            var pool = TestbedPool.MixedLengths(tasks, o.N, seed);
            var validation = TestbedPool.MixedLengths(tasks, o.ValidationN, seed + 7000);
            var poolPath = Path.Combine(dir, "pool.jsonl"); var validPath = Path.Combine(dir, "validation.jsonl");
            TestbedWriter.Write(pool, poolPath, TestbedFormat.Chat, hideHidden: true);
            TestbedWriter.Write(validation, validPath, TestbedFormat.Chat, hideHidden: true);
            var baseDir = TestbedExperiment.MakeTinyModel(Path.Combine(dir, "base"), TestbedExperiment.ChatText(pool), o.Size, seed);
            var eval = new EvalOptions { Tasks = tasks, N = o.EvalN, Seed = seed + 99, MaxNewTokens = o.MaxNewTokens, BatchSize = 32, Resamples = o.EvalResamples };
            foreach (var arm in o.Arms)
            {
                var outDir = Path.Combine(dir, arm);
                var (result, trainSeconds, stats) = Train(arm, baseDir, poolPath, validPath, outDir, o, seed);
                var report = TestbedEvaluator.Evaluate(ModelBundle.Load(outDir), eval);
                double step = CommonItTestbedExperiment.StepSeconds(result);
                log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"seed {seed} {arm}: accuracy {report.Accuracy:P1} [{report.Lo:P1}, {report.Hi:P1}], {step:F3} s/step, {trainSeconds:F0} s"));
                if (stats is not null) epochs[(arm, seed)] = stats;
                runs.Add(new ArmRun(arm, seed, report, result.Steps, step, trainSeconds, stats is null ? "" : EpochNote(stats)));
            }
            if (o.CostReps > 0)
            {
                ratios.Add(InterleavedCost(baseDir, poolPath, o, seed));
                log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"seed {seed}: interleaved two-view / one-view forward+backward time × {ratios[^1]:F2}"));
            }
        }
        return new CclExperimentResult(runs, epochs, ratios, ArmComparison.Markdown(runs, "vanilla", o.EvalResamples) + Cost(runs, ratios, o.CostReps));
    }

    /// <summary>
    /// Median over <see cref="CclExperimentOptions.CostReps"/> alternating pairs of (two-view CCL loss + backward) time over
    /// (one-view SFT loss + backward) time, on the same batches of the base model with the experiment's dropout.
    /// </summary>
    public static double InterleavedCost(string baseDir, string data, CclExperimentOptions o, ulong seed)
    {
        var bundle = ModelBundle.Load(baseDir);
        var model = bundle.Model;
        model.RequireGrad(true);
        model.HiddenDropout = o.HiddenDropout; model.AttentionDropout = o.AttentionDropout;
        model.DropoutGenerator = new Engine.Runtime.Generator(seed);
        model.Training = true;
        var (examples, _) = TrainingDataset.LoadSft([data], ExampleTokenizer.FromModel(bundle));
        int pad = bundle.Tokenizer.PadTokenId ?? 0;
        var ratios = new List<double>();
        var weights = Enumerable.Repeat(1.0, o.BatchSize).ToArray();
        var clock = new Stopwatch();
        for (int rep = 0; rep < o.CostReps + 2; rep++)
        {
            var batch = TokenBatch.FromSft(Enumerable.Range(0, o.BatchSize).Select(k => examples[(rep * o.BatchSize + k) % examples.Count]).ToArray(), 0, pad);
            clock.Restart();
            var ce = CclLoss.PerTokenCe(model.Forward(batch.Ids, batch.KeyMask), batch);
            CclLoss.Weighted(CclConsistency.MeanNll(ce, batch), weights, o.BatchSize).Backward();
            double one = clock.Elapsed.TotalSeconds;
            ZeroGrads(model);
            clock.Restart();
            CclLoss.Total(CclLoss.Compute(model, batch, batch, new bool[o.BatchSize]), weights, o.Alpha, o.BatchSize).Backward();
            double two = clock.Elapsed.TotalSeconds;
            ZeroGrads(model);
            if (rep >= 2) ratios.Add(two / one);   // the first pairs warm up the JIT and the allocator
        }
        ratios.Sort();
        return ratios[ratios.Count / 2];
    }

    private static void ZeroGrads(Engine.Models.Transformer.TransformerModel model)
    {
        foreach (var (_, p) in model.Parameters) p.ZeroGrad();
    }

    private static (TrainResult Result, double Seconds, IReadOnlyList<CclEpochStats>? Epochs) Train(string arm, string baseDir, string data, string validation,
        string outDir, CclExperimentOptions o, ulong seed)
    {
        var bundle = ModelBundle.Load(baseDir);
        var tok = ExampleTokenizer.FromModel(bundle);
        var model = new TrainableModel(bundle.Model, null, baseDir);
        // Every arm, vanilla included, trains with the same dropout: only the loss differs. CCL keeps the model's rates.
        model.Model.HiddenDropout = o.HiddenDropout;
        model.Model.AttentionDropout = o.AttentionDropout;
        var ccl = new CclOptions { Alpha = o.Alpha, Lambda = o.Lambda, Weighting = arm == "ccl" ? CclWeighting.Curriculum : CclWeighting.Uniform };
        var opts = new TrainerOptions
        {
            LearningRate = o.LearningRate, Schedule = LrScheduleKind.Cosine, WarmupRatio = 0.05, BatchSize = o.BatchSize, MaxSteps = o.Steps,
            Seed = seed, LogSteps = 100000, OutputDir = outDir, PadTokenId = bundle.Tokenizer.PadTokenId ?? 0,
        };
        var clock = Stopwatch.StartNew();
        TrainResult result;
        IReadOnlyList<CclEpochStats>? stats = null;
        if (arm == "vanilla")
        {
            var (train, _) = TrainingDataset.LoadSft([data], tok);
            result = new SftTrainer(model, train, opts, sft: new SftOptions { Normalization = SftLossNormalization.ExampleMean }).Train();
        }
        else if (arm is "rdrop" or "ccl")
        {
            var (train, _) = CclData.Load([data], tok);
            var (valid, _) = CclData.Load([validation], tok);
            var trainer = new CclTrainer(model, train, valid, opts, ccl);
            result = trainer.Train();
            stats = trainer.Epochs;
        }
        else throw new ArgumentException($"Unknown arm '{arm}' (vanilla, rdrop, ccl).");
        double seconds = clock.Elapsed.TotalSeconds;
        bundle.Tokenizer.Save(outDir);
        (bundle.Generation ?? new GenerationConfig { EosTokenIds = bundle.EosTokenIds }).Save(outDir);
        return (result, seconds, stats);
    }

    private static string EpochNote(IReadOnlyList<CclEpochStats> epochs)
    {
        var measured = epochs.Where(e => e.Measured).ToList();
        if (measured.Count == 0) return "";
        return "per epoch: " + string.Join("; ", measured.Select(e => string.Create(CultureInfo.InvariantCulture,
            $"e{e.Epoch} KL train {e.TrainConsistency:F3}±{e.TrainConsistencyStd:F3} valid {e.ValidConsistency:F3} C {e.Proficiency:F2} w {e.WeightMean:F2}±{e.WeightStd:F2}")));
    }

    /// <summary>Step-time and whole-run ratios of each consistency arm to vanilla (the cost of the second forward and the measurement passes).</summary>
    private static string Cost(IReadOnlyList<ArmRun> runs, IReadOnlyList<double> interleaved, int reps)
    {
        var inv = CultureInfo.InvariantCulture;
        string extra = interleaved.Count == 0 ? "" : Environment.NewLine + $"- interleaved on one batch stream ({reps} alternating pairs per seed, median): two-view (CCL) / one-view forward + backward × "
            + string.Join(", ", interleaved.Select(r => r.ToString("F2", inv))) + " (per seed)";
        var vanilla = runs.Where(r => r.Arm == "vanilla").ToList();
        if (vanilla.Count == 0) return extra.Length == 0 ? "" : Environment.NewLine + "Cost:" + Environment.NewLine + extra + Environment.NewLine;
        double vs = vanilla.Average(r => r.StepSeconds), vt = vanilla.Average(r => r.TrainSeconds);
        var lines = runs.Where(r => r.Arm != "vanilla").GroupBy(r => r.Arm).Select(g =>
            $"- {g.Key} / vanilla: step time × {(g.Average(r => r.StepSeconds) / vs).ToString("F2", inv)}, whole training run × {(g.Average(r => r.TrainSeconds) / vt).ToString("F2", inv)}");
        return Environment.NewLine + "Cost (mean over seeds):" + Environment.NewLine + Environment.NewLine + string.Join(Environment.NewLine, lines) + extra + Environment.NewLine;
    }
}
