using Engine.Models.Checkpoints;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Engine.Methods.Training.Checkpoints;
using Engine.Methods.Training.Sampling;
using Engine.Models.Lora;
using Engine.Runtime;
using Engine.Runtime.Optim;

namespace Engine.Methods.Training;

/// <summary>The loss of one micro-batch, already divided by the step's normaliser, and what it adds to the step's metrics.</summary>
public sealed record MicroBatchLoss(Tensor Loss, long Tokens, double Share, IReadOnlyDictionary<string, double> Metrics);

public sealed record TrainResult(long Steps, double FinalLoss, EvalMetrics? FinalEval, IReadOnlyList<StepMetrics> History, string? OutputDir);

/// <summary>
/// The optimisation loop every method shares: batch sampler → micro-batches (gradient accumulation) → loss
/// (+ extra terms) → backward → clip → AdamW → LR schedule, with evaluation, logging and atomic resumable
/// checkpoints. A trainer says how to turn examples into a loss (<see cref="ComputeLoss"/>) and what a step
/// averages over (<see cref="NormalizerUnits"/>: target tokens for SFT, examples for DPO/KTO), so that
/// accumulating micro-batches gives the same update as one big batch.
/// </summary>
public abstract class TrainerBase<TExample> where TExample : class
{
    public TrainableModel Model { get; }
    public TrainerOptions Options { get; }
    public IReadOnlyList<TExample> TrainSet { get; }
    public IReadOnlyList<TExample>? EvalSet { get; }
    public IBatchSampler Sampler { get; }
    public List<ITrainingCallbacks> Callbacks { get; } = [];
    /// <summary>Additional loss terms: return a scalar (a per-batch mean; it is scaled by the micro-batch share) or null.</summary>
    public List<Func<TrainingStepContext, Tensor?>> ExtraLosses { get; } = [];
    /// <summary>Called after each micro-batch's backward (the context still holds logits and per-token losses).</summary>
    public Action<TrainingStepContext>? OnMicroBatch { get; set; }
    /// <summary>Called after every optimizer step with that step's metrics (not only at log steps).</summary>
    public Action<StepMetrics>? OnStepEnd { get; set; }
    /// <summary>Called at the start of every epoch before its first batch (e.g. CCL re-weights examples here).</summary>
    public Action<int>? OnEpochBegin { get; set; }

    public long Step { get; private set; }
    public SamplerPosition Position { get; private set; } = new(0, 0);
    public List<StepMetrics> History { get; } = [];
    public List<EvalMetrics> EvalHistory { get; } = [];
    public long TotalSteps { get; }
    public LrSchedule Schedule { get; }

    private readonly AdamW _decay, _noDecay;
    private readonly ulong _runSeed;

    /// <summary>The precision this run computes in (<see cref="TrainerOptions.Precision"/>, or the model device's default).</summary>
    public ComputePrecision Precision { get; }

    protected TrainerBase(TrainableModel model, IReadOnlyList<TExample> train, TrainerOptions options, IBatchSampler? sampler, IReadOnlyList<TExample>? eval)
    {
        options.Validate();
        Model = model; Options = options; TrainSet = train; EvalSet = eval is { Count: > 0 } ? eval : null;
        if (train.Count == 0) throw new ArgumentException("The training set is empty.");
        Sampler = sampler ?? new RandomBatchSampler(train.Count, options.StepBatchSize, options.Seed, options.DropLastBatch);
        TotalSteps = options.MaxSteps > 0 ? options.MaxSteps : (long)options.Epochs * Sampler.StepsPerEpoch;
        if (TotalSteps <= 0) throw new ArgumentException("Nothing to train: zero steps (empty sampler?).");
        Schedule = LrSchedule.From(options, TotalSteps);
        (_decay, _noDecay) = model.CreateOptimizers(options);
        _runSeed = options.Seed;
        Precision = options.Precision ?? ComputePrecisions.DefaultFor(model.Model.Device);
    }

    /// <summary>Short name for logs and checkpoints ("sft", "dpo", "kto").</summary>
    public abstract string Method { get; }

    /// <summary>What a step's loss averages over: counted target tokens (SFT) or examples (DPO/KTO).</summary>
    protected abstract double NormalizerUnits(IReadOnlyList<TExample> stepExamples);

    /// <summary>Loss of one micro-batch divided by <paramref name="stepUnits"/>; sets ctx.Batch/Logits for extra terms.</summary>
    protected abstract MicroBatchLoss ComputeLoss(IReadOnlyList<TExample> micro, double stepUnits, TrainingStepContext ctx);

    /// <summary>Work before the first step (and again after a resume), e.g. caching reference log-probs.</summary>
    protected virtual void BeforeTraining() { }

    private bool _prepared;

    private void EnsurePrepared()
    {
        if (_prepared) return;
        using (Autocast.For(Precision)) BeforeTraining();
        _prepared = true;
    }

    /// <summary>Called with all examples of a step (or the whole held-out set) before its micro-batches, for step-level counts.</summary>
    protected virtual void BeginStep(IReadOnlyList<TExample> stepExamples) { }

    /// <summary>Extra files for a checkpoint folder (e.g. cached reference log-probs) and their loading on resume.</summary>
    protected virtual void SaveExtraState(string dir) { }
    protected virtual void LoadExtraState(string dir) { }

    /// <summary>The set an example index in a context refers to.</summary>
    protected IReadOnlyList<TExample> SetOf(TrainingStepContext ctx) => ctx.Training ? TrainSet : EvalSet!;

    /// <summary>Run (or continue, with <paramref name="resume"/>) training to <see cref="TotalSteps"/>.</summary>
    public TrainResult Train(bool resume = false)
    {
        var outDir = Options.OutputDir;
        if (outDir is not null)
        {
            Directory.CreateDirectory(outDir);
            CheckpointStore.CleanPartial(outDir);
        }
        if (resume)
        {
            var latest = outDir is null ? null : CheckpointStore.Latest(outDir);
            if (latest is null) throw new InvalidOperationException($"--resume: no complete checkpoint-<step> folder in {outDir ?? "(no output dir)"}.");
            LoadCheckpoint(latest);
        }
        foreach (var c in Callbacks) c.OnTrainBegin(TotalSteps, Step);
        EnsurePrepared();

        IReadOnlyList<int[]>? epochBatches = null; int batchesOfEpoch = -1;
        double windowLoss = 0; int windowSteps = 0; var windowExtra = new Dictionary<string, double>();
        double lastLoss = History.Count > 0 ? History[^1].Loss : double.NaN;
        EvalMetrics? lastEval = null;
        var clock = Stopwatch.StartNew();
        while (Step < TotalSteps)
        {
            if (Position.Batch >= Sampler.StepsPerEpoch) Position = new SamplerPosition(Position.Epoch + 1, 0);
            if (batchesOfEpoch != Position.Epoch)
            {
                epochBatches = Sampler.EpochBatches(Position.Epoch);
                batchesOfEpoch = Position.Epoch;
                if (Position.Batch == 0) OnEpochBegin?.Invoke(Position.Epoch);
            }
            var stepStart = clock.Elapsed;
            var indices = epochBatches![Position.Batch];
            var (loss, tokens, extra, gradNorm, lr) = TrainStep(indices);
            Step++;
            Position = Position with { Batch = Position.Batch + 1 };
            lastLoss = loss;
            var secs = Math.Max(1e-9, (clock.Elapsed - stepStart).TotalSeconds);
            var m = new StepMetrics(Step, Position.Epoch, loss, lr, gradNorm, tokens, tokens / secs, extra);
            History.Add(m);
            OnStepEnd?.Invoke(m);

            windowLoss += loss; windowSteps++;
            foreach (var (k, v) in extra) windowExtra[k] = windowExtra.GetValueOrDefault(k) + v;
            if (Options.LogSteps > 0 && (Step % Options.LogSteps == 0 || Step == TotalSteps))
            {
                var avg = windowExtra.ToDictionary(kv => kv.Key, kv => kv.Value / windowSteps);
                var logged = m with { Loss = windowLoss / windowSteps, Extra = avg };
                foreach (var c in Callbacks) c.OnStep(logged);
                windowLoss = 0; windowSteps = 0; windowExtra.Clear();
            }
            if (EvalSet is not null && Options.EvalSteps > 0 && Step % Options.EvalSteps == 0) lastEval = RunEval();
            if (outDir is not null && Options.SaveSteps > 0 && Step % Options.SaveSteps == 0 && Step < TotalSteps) SaveCheckpoint(outDir);
        }
        if (EvalSet is not null && (lastEval is null || lastEval.Step != Step)) lastEval = RunEval();
        if (outDir is not null)
        {
            if (Options.SaveSteps > 0 && Step % Options.SaveSteps == 0) SaveCheckpoint(outDir);
            Model.SaveFinal(outDir, Options.FinalSave);
            WriteState(outDir);
        }
        foreach (var c in Callbacks) c.OnTrainEnd(Step);
        return new TrainResult(Step, lastLoss, lastEval, History, outDir);
    }

    private (double loss, long tokens, Dictionary<string, double> extra, double gradNorm, double lr) TrainStep(int[] indices)
    {
        var examples = indices.Select(i => TrainSet[i]).ToArray();
        double lr = Schedule.LearningRate(Step);
        _decay.LearningRate = lr; _noDecay.LearningRate = lr;
        double units = NormalizerUnits(examples);
        BeginStep(examples);
        Model.Training = true;
        double loss = 0; long tokens = 0;
        var extra = new Dictionary<string, double>();
        int micro = 0;
        // One autocast scope per optimizer step: weights are cast to bf16 once and reused by every micro-batch.
        using (Autocast.For(Precision))
        for (int at = 0; at < examples.Length; at += Options.BatchSize, micro++)
        {
            int n = Math.Min(Options.BatchSize, examples.Length - at);
            var ctx = new TrainingStepContext
            {
                Model = Model, Step = Step, Epoch = Position.Epoch, MicroBatch = micro,
                ExampleIndices = new ArraySegment<int>(indices, at, n),
                Share = units > 0 ? NormalizerUnits(examples.AsSpan(at, n).ToArray()) / units : 0,
            };
            var r = ComputeLoss(new ArraySegment<TExample>(examples, at, n), units, ctx);
            var total = r.Loss;
            foreach (var term in ExtraLosses)
            {
                var e = term(ctx);
                if (e is null) continue;
                if (e.NumElements != 1) throw new InvalidOperationException($"An extra loss term returned {e.ShapeString}; it must be a scalar.");
                var scaled = Ops.Scale(e.Reshape(total.ShapeArray()), ctx.Share);
                extra["extra_loss"] = extra.GetValueOrDefault("extra_loss") + scaled.Item();
                total = Ops.Add(total, scaled);
            }
            if (total.RequiresGrad) total.Backward();
            loss += total.Item();
            tokens += r.Tokens;
            foreach (var (k, v) in r.Metrics) extra[k] = extra.GetValueOrDefault(k) + v;
            foreach (var (k, v) in ctx.Metrics) extra[k] = extra.GetValueOrDefault(k) + v;
            OnMicroBatch?.Invoke(ctx);
        }
        var ps = Model.Parameters.ToArray();
        double gradNorm = Options.MaxGradNorm > 0 ? GradClip.ClipGradNorm(ps, Options.MaxGradNorm) : GradClip.GlobalNorm(ps);
        _decay.Step(); _noDecay.Step();
        Model.SyncComputeCopies();
        _decay.ZeroGrad(); _noDecay.ZeroGrad();
        return (loss, tokens, extra, gradNorm, lr);
    }

    /// <summary>Loss and metrics over the held-out set (no extra terms, dropout off).</summary>
    public EvalMetrics Evaluate()
    {
        var set = EvalSet ?? throw new InvalidOperationException("No held-out set to evaluate on.");
        EnsurePrepared();
        Model.Training = false;
        try
        {
            using var _ = Autograd.NoGrad();
            using var precision = Autocast.For(Precision);
            double units = NormalizerUnits(set);
            BeginStep(set);
            double loss = 0;
            var extra = new Dictionary<string, double>();
            int bs = Math.Max(1, Options.EvalBatchSize);
            var all = set.ToArray();
            for (int at = 0, k = 0; at < all.Length; at += bs, k++)
            {
                int n = Math.Min(bs, all.Length - at);
                var ctx = new TrainingStepContext
                {
                    Model = Model, Step = Step, Epoch = Position.Epoch, MicroBatch = k, Training = false,
                    ExampleIndices = Enumerable.Range(at, n).ToArray(), Share = NormalizerUnits(all.AsSpan(at, n).ToArray()) / units,
                };
                var r = ComputeLoss(new ArraySegment<TExample>(all, at, n), units, ctx);
                loss += r.Loss.Item();
                foreach (var (key, v) in r.Metrics) extra[key] = extra.GetValueOrDefault(key) + v;
            }
            return new EvalMetrics(Step, loss, extra);
        }
        finally { Model.Training = true; }
    }

    private EvalMetrics RunEval()
    {
        var e = Evaluate();
        EvalHistory.Add(e);
        foreach (var c in Callbacks) c.OnEval(e);
        return e;
    }

    // ---- checkpoints ----

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Write &lt;out&gt;/checkpoint-&lt;step&gt; now (atomic).</summary>
    public string SaveCheckpoint(string outDir)
    {
        var dir = CheckpointStore.Write(outDir, Step, tmp =>
        {
            Model.SaveTrainable(tmp);
            var tensors = new List<KeyValuePair<string, Tensor>>();
            AddMoments(tensors, "decay", _decay);
            AddMoments(tensors, "no_decay", _noDecay);
            SafeTensorsWriter.Write(Path.Combine(tmp, "optimizer.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
            WriteJson(Path.Combine(tmp, "scheduler.json"), new JsonObject
            {
                ["kind"] = Schedule.Kind.ToString().ToLowerInvariant(), ["base_lr"] = Schedule.BaseLr,
                ["warmup_steps"] = Schedule.WarmupSteps, ["total_steps"] = Schedule.TotalSteps, ["last_step"] = Step,
            });
            var rng = new JsonObject { ["seed"] = _runSeed };
            if (Model.Lora is { } lora) rng["lora_dropout"] = new JsonObject { ["seed"] = lora.DropoutGenerator.Seed, ["offset"] = lora.DropoutGenerator.Offset };
            SaveExtraRngState(rng);
            WriteJson(Path.Combine(tmp, "rng_state.json"), rng);
            WriteJson(Path.Combine(tmp, "sampler.json"), Position.ToJson(Sampler.Kind));
            WriteJson(Path.Combine(tmp, "optimizer_state.json"), new JsonObject { ["decay_steps"] = _decay.StepCount, ["no_decay_steps"] = _noDecay.StepCount });
            SaveExtraState(tmp);
        }, WriteState, Options.SaveTotalLimit);
        foreach (var c in Callbacks) c.OnCheckpoint(dir, Step);
        return dir;
    }

    /// <summary>Trainer-specific generators to save (none in the base trainers).</summary>
    protected virtual void SaveExtraRngState(JsonObject rng) { }
    protected virtual void LoadExtraRngState(JsonObject rng) { }

    private static void AddMoments(List<KeyValuePair<string, Tensor>> into, string group, AdamW opt)
    {
        var st = opt.State;
        for (int i = 0; i < st.Count; i++)
        {
            into.Add(new($"{group}.{i}.exp_avg", st[i].m.Detach()));
            into.Add(new($"{group}.{i}.exp_avg_sq", st[i].v.Detach()));
        }
    }

    private void WriteState(string dir)
    {
        var state = new JsonObject
        {
            ["method"] = Method,
            ["global_step"] = Step,
            ["epoch"] = Position.Epoch,
            ["max_steps"] = TotalSteps,
            ["sampler"] = Position.ToJson(Sampler.Kind),
            ["log_history"] = new JsonArray(History.Select(h => (JsonNode)JsonSerializer.SerializeToNode(h, TrainingJson.Default.StepMetrics)!).ToArray()),
            ["eval_history"] = new JsonArray(EvalHistory.Select(h => (JsonNode)JsonSerializer.SerializeToNode(h, TrainingJson.Default.EvalMetrics)!).ToArray()),
            ["options"] = JsonSerializer.SerializeToNode(Options, TrainingJson.Default.TrainerOptions),
        };
        WriteJson(Path.Combine(dir, CheckpointStore.StateFile), state);
    }

    private static void WriteJson(string path, JsonNode node)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write);
        fs.Write(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString(Json) + "\n"));
        fs.Flush(flushToDisk: true);
    }

    private static JsonObject ReadJson(string path) =>
        JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path} is not a JSON object.");

    /// <summary>Restore weights, optimizer moments and step counts, sampler position, RNG offsets and history.</summary>
    public void LoadCheckpoint(string dir)
    {
        var state = ReadJson(Path.Combine(dir, CheckpointStore.StateFile));
        if (state["method"]?.GetValue<string>() is { } method && method != Method)
            throw new InvalidDataException($"{dir} is a '{method}' checkpoint; this is '{Method}' training.");
        // The sampler position counts step batches: resuming with another batch shape would train on other examples.
        if (state["options"] is JsonObject saved)
        {
            int bs = saved["BatchSize"]?.GetValue<int>() ?? Options.BatchSize, ga = saved["GradientAccumulation"]?.GetValue<int>() ?? Options.GradientAccumulation;
            if (bs * ga != Options.StepBatchSize)
                throw new InvalidDataException($"{dir} was written with batch size {bs} × accumulation {ga}; this run uses {Options.BatchSize} × {Options.GradientAccumulation}. Resume with the same step batch.");
            if (saved["Seed"]?.GetValue<ulong>() is { } seed && seed != Options.Seed)
                throw new InvalidDataException($"{dir} was written with seed {seed}; this run uses {Options.Seed}, which would change the data order.");
        }
        Model.LoadTrainable(dir);
        var moments = SafeTensorsDictionary.ReadAll(Path.Combine(dir, "optimizer.safetensors"));
        var steps = ReadJson(Path.Combine(dir, "optimizer_state.json"));
        LoadMoments(moments, "decay", _decay, steps["decay_steps"]!.GetValue<long>(), dir);
        LoadMoments(moments, "no_decay", _noDecay, steps["no_decay_steps"]!.GetValue<long>(), dir);
        var rng = ReadJson(Path.Combine(dir, "rng_state.json"));
        if (Model.Lora is { } lora && rng["lora_dropout"] is JsonObject ld) lora.DropoutGenerator.Offset = ld["offset"]!.GetValue<ulong>();
        LoadExtraRngState(rng);
        LoadExtraState(dir);
        Position = SamplerPosition.FromJson(ReadJson(Path.Combine(dir, "sampler.json")), Sampler.Kind);
        Step = state["global_step"]!.GetValue<long>();
        History.Clear(); EvalHistory.Clear();
        foreach (var h in state["log_history"]!.AsArray()) History.Add(h.Deserialize(TrainingJson.Default.StepMetrics)!);
        foreach (var h in state["eval_history"]!.AsArray()) EvalHistory.Add(h.Deserialize(TrainingJson.Default.EvalMetrics)!);
    }

    private static void LoadMoments(Dictionary<string, Tensor> saved, string group, AdamW opt, long stepCount, string dir)
    {
        var list = new List<(Tensor m, Tensor v)>();
        for (int i = 0; i < opt.Parameters.Count; i++)
        {
            if (!saved.TryGetValue($"{group}.{i}.exp_avg", out var m) || !saved.TryGetValue($"{group}.{i}.exp_avg_sq", out var v))
                throw new InvalidDataException($"{dir}/optimizer.safetensors lacks the moments of {group} parameter {i}; was it written for another model or LoRA setting?");
            if (!m.Shape.SequenceEqual(opt.Parameters[i].Shape)) throw new InvalidDataException($"{dir}: optimizer moment {group}.{i} is {m.ShapeString}, the parameter is {opt.Parameters[i].ShapeString}.");
            var dev = opt.Parameters[i].Device;
            list.Add(dev.IsCpu ? (m, v) : (m.To(dev), v.To(dev)));
        }
        opt.LoadState(stepCount, list);
    }
}
