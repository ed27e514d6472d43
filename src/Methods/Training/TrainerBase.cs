using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Methods.Training.Checkpoints;
using Engine.Methods.Training.Distributed;
using Engine.Methods.Training.Optimization;
using Engine.Methods.Training.Sampling;
using Engine.Runtime;
using Engine.Runtime.Distributed;

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
/// <para>
/// Extension surface (README.md): a method subclasses a trainer and overrides the protected virtuals below (loss,
/// extra terms, example weights, epoch/step/micro-batch hooks); registers what must survive a resume
/// (<see cref="RegisterState"/>, <see cref="RegisterGenerator"/>, <see cref="AddParameterGroup"/>); and anyone
/// observes a run through <see cref="Callbacks"/> (<see cref="ITrainerCallback"/>).
/// </para>
/// </summary>
public abstract class TrainerBase<TExample> where TExample : class
{
    public TrainableModel Model { get; }
    public TrainerOptions Options { get; }
    public IReadOnlyList<TExample> TrainSet { get; }
    public IReadOnlyList<TExample>? EvalSet { get; }
    public IBatchSampler Sampler { get; }
    /// <summary>Observers of the run, called after the trainer's own hook for each event.</summary>
    public List<ITrainerCallback> Callbacks { get; } = [];
    /// <summary>The callbacks this process calls: all of them on rank 0, none on the other ranks (they would see the same numbers).</summary>
    private IEnumerable<ITrainerCallback> Observers => IsRoot ? Callbacks : [];

    public long Step { get; private set; }
    public SamplerPosition Position { get; private set; } = new(0, 0);
    public List<StepMetrics> History { get; } = [];
    public List<EvalMetrics> EvalHistory { get; } = [];
    public long TotalSteps { get; }
    public LrSchedule Schedule { get; }

    /// <summary>The precision this run computes in (<see cref="TrainerOptions.Precision"/>, or the model device's default).</summary>
    public ComputePrecision Precision { get; }

    /// <summary>
    /// The world this trainer trains in (<see cref="Communicators.Current"/> when it was built, else one process). With
    /// more than one rank, training is data parallel: every rank draws the same global step batch, runs its block of
    /// the step's micro-batches (<see cref="StepSharding"/>), and the gradients are summed over ranks before clipping and
    /// AdamW, so every rank makes the same update; rank 0 alone writes checkpoints, the final model and calls the callbacks.
    /// </summary>
    public ICommunicator Communicator { get; }
    public bool IsRoot => Communicator.Rank == 0;

    private readonly TrainerOptimizer _optimizer;
    private readonly CheckpointRegistry _registry = new();
    private readonly ulong _runSeed;
    private bool _started, _prepared;

    protected TrainerBase(TrainableModel model, IReadOnlyList<TExample> train, TrainerOptions options, IBatchSampler? sampler, IReadOnlyList<TExample>? eval)
    {
        options.Validate();
        Model = model; Options = options; TrainSet = train; EvalSet = eval is { Count: > 0 } ? eval : null;
        if (train.Count == 0) throw new ArgumentException("The training set is empty.");
        Sampler = sampler ?? new RandomBatchSampler(train.Count, options.StepBatchSize, options.Seed, options.DropLastBatch);
        if (Sampler is not (IEpochBatchSampler or IStatefulBatchSampler))
            throw new ArgumentException($"Sampler '{Sampler.Kind}' must implement {nameof(IEpochBatchSampler)} or {nameof(IStatefulBatchSampler)}.");
        TotalSteps = options.MaxSteps > 0 ? options.MaxSteps : (long)options.Epochs * Sampler.StepsPerEpoch;
        if (TotalSteps <= 0) throw new ArgumentException("Nothing to train: zero steps (empty sampler?).");
        Schedule = LrSchedule.From(options, TotalSteps);
        Communicator = Communicators.CurrentOrLocal(model.Model.Device);
        _optimizer = new TrainerOptimizer(model, options, Schedule, Communicator);
        _runSeed = options.Seed;
        Precision = options.Precision ?? ComputePrecisions.DefaultFor(model.Model.Device);
        model.SeedDecoderDropout(options.Seed);
        model.Model.GradientCheckpointing = options.GradientCheckpointing;
        foreach (var (name, g) in model.Generators) { _registry.RegisterGenerator(name, g); _generators.Add(g); }
    }

    // ---- what a method registers (before Train) ----

    /// <summary>
    /// Optimise <paramref name="group"/>'s tensors beside the model: own learning rate, direction (ascent), weight decay,
    /// schedule and clipping. Their values and AdamW moments go into every checkpoint and come back on resume.
    /// </summary>
    public void AddParameterGroup(ParameterGroup group) { EnsureNotStarted(); _optimizer.Add(group); }

    public IReadOnlyList<ParameterGroup> ParameterGroups => _optimizer.Groups;

    /// <summary>
    /// Save <paramref name="save"/>'s state in every checkpoint (<c>method_state/&lt;name&gt;.*</c>, inside the atomic folder)
    /// and hand it to <paramref name="restore"/> on resume, before training continues. A resume whose checkpoint lacks a
    /// registered name, or holds one that is not registered, fails with the name.
    /// </summary>
    public void RegisterState(string name, Func<MethodState> save, Action<MethodState> restore) { EnsureNotStarted(); _registry.RegisterState(name, save, restore); }

    /// <summary>Save <paramref name="generator"/>'s offset in every checkpoint and restore it on resume (the model's own are registered already).</summary>
    public void RegisterGenerator(string name, Generator generator) { EnsureNotStarted(); _registry.RegisterGenerator(name, generator); _generators.Add(generator); }

    private readonly List<Generator> _generators = [];

    /// <summary>
    /// Each micro-batch draws its random numbers (dropout, L0 mask noise) from its own range of every generator, a
    /// function of the step's starting offset and the micro-batch's index in the step. So data-parallel ranks draw
    /// independent masks, every rank's generators agree after the step, and one process draws exactly the masks any
    /// number of processes draws: a run's result does not depend on its world size.
    /// </summary>
    private const int MicroBatchOffsetShift = 32;

    private void EnsureNotStarted()
    {
        if (_started) throw new InvalidOperationException("Register parameter groups, state and generators before Train() or LoadCheckpoint().");
    }

    // ---- what a subclass says or changes ----

    /// <summary>Short name for logs and checkpoints ("sft", "dpo", "kto").</summary>
    public abstract string Method { get; }

    /// <summary>What a step's loss averages over: counted target tokens (SFT) or examples (DPO/KTO).</summary>
    protected abstract double NormalizerUnits(IReadOnlyList<TExample> stepExamples);

    /// <summary>Loss of one micro-batch divided by <paramref name="stepUnits"/>; sets ctx.Batch/Logits (and PerTokenLoss) for extra terms.</summary>
    protected abstract MicroBatchLoss ComputeLoss(IReadOnlyList<TExample> micro, double stepUnits, TrainingStepContext ctx);

    /// <summary>Terms added to a training micro-batch's loss after <see cref="ComputeLoss"/> (not in evaluation); see <see cref="ExtraLoss"/>.</summary>
    protected virtual IEnumerable<ExtraLoss> ExtraLosses(TrainingStepContext ctx) => [];

    /// <summary>
    /// The weight of example <paramref name="index"/> of the training (or held-out) set, seen by the loss through
    /// <see cref="TrainingStepContext.ExampleWeights"/> and used by per-example extra terms. SFT returns the record's
    /// weight; a method (CCL) overrides it with weights it recomputes and registers as state.
    /// </summary>
    protected virtual double ExampleWeight(bool training, int index) => 1.0;

    /// <summary>Work before the first step (and again after a resume), e.g. caching reference log-probs.</summary>
    protected virtual void BeforeTraining() { }

    /// <summary>At the start of each epoch, before its batches are drawn (not re-run when resuming mid-epoch: keep what it computes in registered state).</summary>
    protected virtual void OnEpochBegin(int epoch) { }

    /// <summary>With all examples of a step (or the whole held-out set) before its micro-batches, for step-level counts and estimates.</summary>
    protected virtual void BeginStep(StepExamples<TExample> step) { }

    /// <summary>After each training micro-batch's backward; the context still holds the batch, logits and per-token losses.</summary>
    protected virtual void AfterMicroBatch(TrainingStepContext ctx) { }

    /// <summary>After every optimizer step, before logging, evaluation and checkpointing (so a checkpoint holds what it changes).</summary>
    protected virtual void OnStepEnd(StepMetrics metrics) { }

    /// <summary>The set an example index in a context refers to.</summary>
    protected IReadOnlyList<TExample> SetOf(TrainingStepContext ctx) => SetOf(ctx.Training);
    protected IReadOnlyList<TExample> SetOf(bool training) => training ? TrainSet : EvalSet ?? throw new InvalidOperationException("No held-out set.");

    private void EnsurePrepared()
    {
        if (_prepared) return;
        using (Autocast.For(Precision)) BeforeTraining();
        _prepared = true;
    }

    // ---- the loop ----

    /// <summary>Run (or continue, with <paramref name="resume"/>) training to <see cref="TotalSteps"/>.</summary>
    public TrainResult Train(bool resume = false)
    {
        _started = true;
        var outDir = Options.OutputDir;
        if (outDir is not null && IsRoot)
        {
            Directory.CreateDirectory(outDir);
            CheckpointStore.CleanPartial(outDir);
        }
        if (resume)
        {
            // Every rank resumes from the checkpoint rank 0 found (the folder is shared).
            var latest = outDir is null ? null : CheckpointStore.Latest(outDir);
            if (Communicator.Size > 1) latest = Communicator.BroadcastString(latest) is { Length: > 0 } l ? l : null;
            if (latest is null) throw new InvalidOperationException($"--resume: no complete checkpoint-<step> folder in {outDir ?? "(no output dir)"}.");
            LoadCheckpoint(latest);
        }
        foreach (var c in Observers) c.OnTrainBegin(TotalSteps, Step);
        EnsurePrepared();

        IReadOnlyList<int[]>? epochBatches = null; int batchesOfEpoch = -1, epochBegun = -1;
        double windowLoss = 0; int windowSteps = 0; var windowExtra = new Dictionary<string, double>();
        double lastLoss = History.Count > 0 ? History[^1].Loss : double.NaN;
        EvalMetrics? lastEval = null;
        var clock = Stopwatch.StartNew();
        while (Step < TotalSteps)
        {
            if (Position.Batch >= Sampler.StepsPerEpoch) Position = new SamplerPosition(Position.Epoch + 1, 0);
            if (Position.Batch == 0 && epochBegun != Position.Epoch)
            {
                epochBegun = Position.Epoch;
                OnEpochBegin(Position.Epoch);
                foreach (var c in Observers) c.OnEpochBegin(Position.Epoch);
            }
            int[] indices;
            if (Sampler is IStatefulBatchSampler stateful) indices = stateful.NextBatch(Step);
            else
            {
                if (batchesOfEpoch != Position.Epoch) { epochBatches = ((IEpochBatchSampler)Sampler).EpochBatches(Position.Epoch); batchesOfEpoch = Position.Epoch; }
                indices = epochBatches![Position.Batch];
            }
            CheckBatch(indices);
            var stepStart = clock.Elapsed;
            var (loss, tokens, extra, opt) = TrainStep(indices);
            Step++;
            Position = Position with { Batch = Position.Batch + 1 };
            lastLoss = loss;
            var secs = Math.Max(1e-9, (clock.Elapsed - stepStart).TotalSeconds);
            var m = new StepMetrics(Step, Position.Epoch, loss, opt.LearningRate, opt.GradNorm, tokens, tokens / secs, extra);
            History.Add(m);
            OnStepEnd(m);
            foreach (var c in Observers) c.OnStepEnd(m);
            if (Communicator.Size > 1 && Options.ParameterCheckSteps > 0 && (Step % Options.ParameterCheckSteps == 0 || Step == TotalSteps))
                ParameterChecksum.Verify(Communicator, _optimizer.AllParameters, Step);

            windowLoss += loss; windowSteps++;
            foreach (var (k, v) in extra) windowExtra[k] = windowExtra.GetValueOrDefault(k) + v;
            if (Options.LogSteps > 0 && (Step % Options.LogSteps == 0 || Step == TotalSteps))
            {
                var avg = windowExtra.ToDictionary(kv => kv.Key, kv => kv.Value / windowSteps);
                var logged = m with { Loss = windowLoss / windowSteps, Extra = avg };
                foreach (var c in Observers) c.OnLog(logged);
                windowLoss = 0; windowSteps = 0; windowExtra.Clear();
            }
            if (EvalSet is not null && Options.EvalSteps > 0 && Step % Options.EvalSteps == 0) lastEval = RunEval();
            if (outDir is not null && Options.SaveSteps > 0 && Step % Options.SaveSteps == 0 && Step < TotalSteps) SaveCheckpoint(outDir);
        }
        if (EvalSet is not null && (lastEval is null || lastEval.Step != Step)) lastEval = RunEval();
        if (outDir is not null)
        {
            if (Options.SaveSteps > 0 && Step % Options.SaveSteps == 0) SaveCheckpoint(outDir);
            if (IsRoot)
            {
                Model.SaveFinal(outDir, Options.FinalSave);
                WriteState(outDir);
            }
        }
        Communicator.Barrier(); // no rank goes on (and reads the output) before rank 0 has written it
        Model.Training = false; // the trained model is used for inference next: no dropout
        foreach (var c in Observers) c.OnTrainEnd(Step);
        return new TrainResult(Step, lastLoss, lastEval, History, outDir);
    }

    private void CheckBatch(int[] indices)
    {
        if (indices.Length == 0) throw new InvalidOperationException($"Sampler '{Sampler.Kind}' gave an empty batch at step {Step}.");
        foreach (var i in indices)
            if ((uint)i >= (uint)TrainSet.Count) throw new InvalidOperationException($"Sampler '{Sampler.Kind}' gave example index {i} at step {Step}; the training set has {TrainSet.Count}.");
    }

    private TrainingStepContext Context(bool training, ArraySegment<int> indices, int micro, double share, int stepExamples) => new()
    {
        Model = Model, Step = Step, Epoch = Position.Epoch, MicroBatch = micro, Training = training,
        ExampleIndices = indices, ExampleWeights = indices.Select(i => ExampleWeight(training, i)).ToArray(),
        StepExamples = stepExamples, Share = share,
    };

    private (double loss, long tokens, Dictionary<string, double> extra, OptimizerStep opt) TrainStep(int[] indices)
    {
        int microSize = StepSharding.MicroBatchSize(indices.Length, Options.BatchSize, Communicator.Size);
        var step = new StepExamples<TExample>(true, indices, indices.Select(i => TrainSet[i]).ToArray(), microSize);
        var (firstMicro, myMicros) = StepSharding.MicroBatchesOf((indices.Length + microSize - 1) / microSize, Communicator.Rank, Communicator.Size);
        double units = NormalizerUnits(step.Examples);
        Model.Training = true;
        ulong[] stepOffsets;
        double loss = 0; long tokens = 0;
        var extra = new Dictionary<string, double>();
        int micro = 0;
        GradientBuckets? buckets;
        // One autocast scope per optimizer step: weights are cast to bf16 once and reused by every micro-batch.
        using (Autocast.For(Precision))
        {
            BeginStep(step);
            stepOffsets = _generators.Select(g => g.Offset).ToArray();
            // Data parallel: gradients go into all-reduce buckets during this rank's last backward of the step.
            buckets = _optimizer.BeginGradientSync(); // null in a world of one, with the overlap off, or with ZeRO-1
            foreach (var (idx, ex) in step.MicroBatches())
            {
                // Data parallel: this rank's block of the step's micro-batches (numbered as in the whole step).
                if (micro < firstMicro || micro >= firstMicro + myMicros) { micro++; continue; }
                for (int gi = 0; gi < _generators.Count; gi++) _generators[gi].Offset = stepOffsets[gi] + ((ulong)micro << MicroBatchOffsetShift);
                var ctx = Context(true, idx, micro++, units > 0 ? NormalizerUnits(ex) / units : 0, step.Count);
                var r = ComputeLoss(ex, units, ctx);
                var total = r.Loss;
                foreach (var term in ExtraLosses(ctx))
                {
                    var scaled = term.Scaled(ctx, total);
                    extra[term.Name] = extra.GetValueOrDefault(term.Name) + scaled.Item();
                    total = Ops.Add(total, scaled);
                }
                if (total.RequiresGrad)
                    using (micro == firstMicro + myMicros ? buckets?.Observe() : null) total.Backward(); // micro is already the next index
                loss += total.Item();
                tokens += r.Tokens;
                foreach (var (k, v) in r.Metrics) extra[k] = extra.GetValueOrDefault(k) + v;
                foreach (var (k, v) in ctx.Metrics) extra[k] = extra.GetValueOrDefault(k) + v;
                AfterMicroBatch(ctx);
                foreach (var c in Observers) c.OnMicroBatch(ctx);
            }
        }
        // Every generator moves past all of the step's ranges (the same position on every rank).
        ulong microBatches = (ulong)((indices.Length + microSize - 1) / microSize);
        for (int gi = 0; gi < _generators.Count; gi++) _generators[gi].Offset = stepOffsets[gi] + (microBatches << MicroBatchOffsetShift);
        if (Communicator.RunsCollectives())
        {
            _optimizer.SynchronizeGradients(buckets);
            (loss, tokens) = ReduceMetrics(loss, tokens, extra);
        }
        var opt = _optimizer.Step(Step);
        foreach (var (k, v) in opt.Metrics) extra[k] = v;
        return (loss, tokens, extra, opt);
    }

    /// <summary>Step loss, tokens and metrics summed over ranks (each rank's are sums over its micro-batches); rank 0's metric names are the step's.</summary>
    private (double loss, long tokens) ReduceMetrics(double loss, long tokens, Dictionary<string, double> extra)
    {
        var keys = Communicator.BroadcastString(string.Join('\n', extra.Keys.Order(StringComparer.Ordinal))).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var v = new double[2 + keys.Length];
        v[0] = loss; v[1] = tokens;
        for (int i = 0; i < keys.Length; i++) v[2 + i] = extra.GetValueOrDefault(keys[i]);
        Communicator.AllReduceSum(v);
        extra.Clear();
        for (int i = 0; i < keys.Length; i++) extra[keys[i]] = v[2 + i];
        return (v[0], (long)v[1]);
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
            var step = new StepExamples<TExample>(false, Enumerable.Range(0, set.Count).ToArray(), set.ToArray(), Math.Max(1, Options.EvalBatchSize));
            double units = NormalizerUnits(step.Examples);
            BeginStep(step);
            double loss = 0;
            var extra = new Dictionary<string, double>();
            int k = 0;
            foreach (var (idx, ex) in step.MicroBatches())
            {
                var ctx = Context(false, idx, k++, units > 0 ? NormalizerUnits(ex) / units : 0, step.Count);
                var r = ComputeLoss(ex, units, ctx);
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
        foreach (var c in Observers) c.OnEval(e);
        return e;
    }

    // ---- checkpoints ----

    private const string SchedulerFile = "scheduler.json", SamplerFile = "sampler.json";

    /// <summary>Write &lt;out&gt;/checkpoint-&lt;step&gt; now (atomic).</summary>
    public string SaveCheckpoint(string outDir)
    {
        // ZeRO-1: every rank hands its optimizer-state shard to rank 0 first (a collective).
        var moments = _optimizer.GatherForSave();
        if (!IsRoot)
        {
            Communicator.Barrier();
            return CheckpointStore.PathFor(outDir, Step);
        }
        var dir = CheckpointStore.Write(outDir, Step, tmp =>
        {
            Model.SaveTrainable(tmp);
            _optimizer.Save(tmp, moments);
            CheckpointJson.Write(Path.Combine(tmp, SchedulerFile), new JsonObject
            {
                ["kind"] = Schedule.Kind.ToString().ToLowerInvariant(), ["base_lr"] = Schedule.BaseLr,
                ["warmup_steps"] = Schedule.WarmupSteps, ["total_steps"] = Schedule.TotalSteps, ["last_step"] = Step,
            });
            var sampler = Position.ToJson(Sampler.Kind);
            if (Sampler is IStatefulBatchSampler s) sampler["state"] = s.SaveState();
            CheckpointJson.Write(Path.Combine(tmp, SamplerFile), sampler);
            _registry.Save(tmp, _runSeed);
        }, WriteState, Options.SaveTotalLimit);
        Communicator.Barrier(); // the checkpoint is published before any rank takes the next step
        foreach (var c in Observers) c.OnCheckpoint(dir, Step);
        return dir;
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
            ["parameter_groups"] = new JsonArray(_optimizer.Groups.Select(g => (JsonNode?)JsonValue.Create(g.Name)).ToArray()),
            ["method_state"] = new JsonArray(_registry.StateNames.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
            ["log_history"] = new JsonArray(History.Select(h => (JsonNode)JsonSerializer.SerializeToNode(h, TrainingJson.Default.StepMetrics)!).ToArray()),
            ["eval_history"] = new JsonArray(EvalHistory.Select(h => (JsonNode)JsonSerializer.SerializeToNode(h, TrainingJson.Default.EvalMetrics)!).ToArray()),
            ["options"] = JsonSerializer.SerializeToNode(Options, TrainingJson.Default.TrainerOptions),
        };
        CheckpointJson.Write(Path.Combine(dir, CheckpointStore.StateFile), state);
    }

    /// <summary>Restore weights, optimizer moments and step counts, parameter groups, sampler position and state, generators, method state and history.</summary>
    public void LoadCheckpoint(string dir)
    {
        _started = true;
        var state = CheckpointJson.Read(Path.Combine(dir, CheckpointStore.StateFile));
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
        var sampler = CheckpointJson.Read(Path.Combine(dir, SamplerFile));
        var position = SamplerPosition.FromJson(sampler, Sampler.Kind);
        if (Sampler is IStatefulBatchSampler && sampler["state"] is null) throw new InvalidDataException($"{dir}/{SamplerFile} has no sampler state for the '{Sampler.Kind}' sampler.");
        _registry.Check(dir);

        Model.LoadTrainable(dir);
        _optimizer.Load(dir);
        if (Sampler is IStatefulBatchSampler s) s.LoadState(sampler["state"]!);
        Position = position;
        Step = state["global_step"]!.GetValue<long>();
        _registry.Load(dir);
        History.Clear(); EvalHistory.Clear();
        foreach (var h in state["log_history"]!.AsArray()) History.Add(h.Deserialize(TrainingJson.Default.StepMetrics)!);
        foreach (var h in state["eval_history"]!.AsArray()) EvalHistory.Add(h.Deserialize(TrainingJson.Default.EvalMetrics)!);
    }
}
