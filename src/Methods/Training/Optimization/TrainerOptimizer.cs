using System.Text.Json.Nodes;
using Engine.Methods.Training.Checkpoints;
using Engine.Methods.Training.Distributed;
using Engine.Models.Checkpoints;
using Engine.Models.Lora;
using Engine.Runtime;
using Engine.Runtime.Distributed;
using Engine.Runtime.Optim;

namespace Engine.Methods.Training.Optimization;

/// <summary>What one optimizer step did: the model's learning rate, the clipped global norm and per-group numbers.</summary>
internal sealed record OptimizerStep(double LearningRate, double GradNorm, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// Every AdamW a trainer steps: the model's two groups (decayed, not decayed; transformers' rule) and the methods'
/// extra <see cref="ParameterGroup"/>s. One step: learning rates from the schedule, clipping (one global norm over the
/// model and the groups that clip with it, then the groups that clip on their own), ascent groups' gradients negated,
/// AdamW, gradients cleared. Checkpoints hold every group's moments and step count, and the extra groups' values.
/// </summary>
internal sealed class TrainerOptimizer
{
    public const string MomentsFile = "optimizer.safetensors", StepsFile = "optimizer_state.json", GroupValuesFile = "param_groups.safetensors";

    private readonly TrainableModel _model;
    private readonly TrainerOptions _options;
    private readonly LrSchedule _schedule;
    private readonly AdamW _decay, _noDecay;
    private readonly List<(ParameterGroup Group, AdamW Opt)> _groups = [];
    private readonly ICommunicator _comm;
    private readonly GradientSync _sync;

    public TrainerOptimizer(TrainableModel model, TrainerOptions options, LrSchedule schedule, ICommunicator comm)
    {
        _model = model; _options = options; _schedule = schedule; _comm = comm;
        _sync = new GradientSync(comm);
        if (options.ZeroStage == 1)
        {
            // ZeRO-1: the model's moments live sharded in _zero; the two plain groups stay empty (nothing allocated).
            _decay = new AdamW([], options.LearningRate); _noDecay = new AdamW([], options.LearningRate);
            _zero = new ZeroShardedAdamW(Decayed(true), Decayed(false), options, comm);
        }
        else (_decay, _noDecay) = model.CreateOptimizers(options);
    }

    private readonly ZeroShardedAdamW? _zero;

    private List<Tensor> Decayed(bool decays) => _model.Trainable.Where(kv => TrainableModel.Decays(kv.Key) == decays).Select(kv => kv.Value).ToList();

    /// <summary>Every tensor this optimizer updates: the model's trainable tensors, then each group's, in a fixed order.</summary>
    public IReadOnlyList<Tensor> AllParameters => _model.Parameters.Concat(_groups.SelectMany(g => Tensors(g.Group))).ToList();

    /// <summary>
    /// Data parallel, overlapped: the buckets to fill during the step's last backward on this rank, or null when the
    /// all-reduce runs after the backward (no collectives, overlap off, or ZeRO-1, which reduce-scatters in <see cref="Step"/>).
    /// </summary>
    public GradientBuckets? BeginGradientSync() =>
        _zero is null && _options.OverlapGradientSync ? _sync.Begin(AllParameters) : null;

    /// <summary>Data parallel: sum the accumulated gradients over ranks (before <see cref="Step"/>), finishing <paramref name="started"/> if given.</summary>
    public void SynchronizeGradients(GradientBuckets? started = null)
    {
        if (started is not null) { started.Finish(); return; }
        // ZeRO-1 reduce-scatters the model's gradients in Step; the methods' groups are all-reduced here.
        if (_zero is null) _sync.AllReduce(AllParameters);
        else _sync.AllReduce(_groups.SelectMany(g => Tensors(g.Group)).ToList());
    }

    /// <summary>
    /// The optimizer state rank 0 needs to write a checkpoint, gathered from every rank (a collective: call it on every
    /// rank); null when rank 0 holds it already (no ZeRO). Saved under the same names as a plain run's, so a checkpoint
    /// resumes with or without ZeRO and with any number of processes.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>>? GatherForSave()
    {
        if (_zero is null) return null;
        var moments = _zero.GatherMoments();
        var list = new List<KeyValuePair<string, Tensor>>();
        int nd = Decayed(true).Count;
        for (int i = 0; i < moments.Count; i++)
        {
            var key = i < nd ? $"decay.{i}" : $"no_decay.{i - nd}";
            list.Add(new($"{key}.exp_avg", moments[i].m));
            list.Add(new($"{key}.exp_avg_sq", moments[i].v));
        }
        return list;
    }

    public IReadOnlyList<ParameterGroup> Groups => _groups.Select(g => g.Group).ToList();

    public void Add(ParameterGroup g)
    {
        g.Validate();
        if (_groups.Any(x => x.Group.Name == g.Name)) throw new ArgumentException($"A parameter group named '{g.Name}' is already registered.");
        var taken = new HashSet<Tensor>(_model.Parameters.Concat(_groups.SelectMany(x => x.Group.Parameters.Select(kv => kv.Value))), ReferenceEqualityComparer.Instance);
        foreach (var (n, t) in g.Parameters)
            if (taken.Contains(t)) throw new ArgumentException($"Parameter group '{g.Name}': '{n}' is already optimised (by the model or another group).");
        foreach (var (_, t) in g.Parameters) t.RequiresGrad = true;
        var o = _options;
        _groups.Add((g, new AdamW(g.Parameters.Select(kv => kv.Value).ToList(), g.LearningRate, g.Beta1 ?? o.Beta1, g.Beta2 ?? o.Beta2, g.Epsilon ?? o.AdamEpsilon, g.WeightDecay)));
    }

    /// <summary>Update everything from the accumulated gradients of step <paramref name="step"/> (0-based), then clear them.</summary>
    public OptimizerStep Step(long step)
    {
        double lr = _schedule.LearningRate(step);
        _decay.LearningRate = lr; _noDecay.LearningRate = lr;
        var metrics = new Dictionary<string, double>();
        foreach (var (g, opt) in _groups)
        {
            opt.LearningRate = g.LearningRate * (g.Schedule?.Invoke(step) ?? _schedule.Multiplier(step));
            metrics[$"lr/{g.Name}"] = opt.LearningRate;
            metrics[$"grad_norm/{g.Name}"] = GradClip.GlobalNorm(Tensors(g));
        }
        double norm;
        if (_zero is null)
        {
            var global = _model.Parameters.Concat(_groups.Where(x => x.Group.Clipping == GroupClipping.WithModel).SelectMany(x => Tensors(x.Group))).ToList();
            norm = _options.MaxGradNorm > 0 ? GradClip.ClipGradNorm(global, _options.MaxGradNorm) : GradClip.GlobalNorm(global);
        }
        else norm = ZeroClip();
        foreach (var (g, _) in _groups)
        {
            if (g.Clipping == GroupClipping.Own) GradClip.ClipGradNorm(Tensors(g).ToList(), g.MaxGradNorm);
            if (g.Direction == OptimizeDirection.Maximize) Negate(Tensors(g));
        }
        if (_zero is null) { _decay.Step(); _noDecay.Step(); }
        else _zero.Step(lr);
        foreach (var (_, opt) in _groups) opt.Step();
        _model.SyncComputeCopies();
        ZeroGrad();
        return new OptimizerStep(lr, norm, metrics);
    }

    /// <summary>ZeRO-1: the global norm from every rank's gradient block (plus the groups clipped with the model), and the clip.</summary>
    private double ZeroClip()
    {
        Span<double> sq = [_zero!.ReduceGradients()];
        _comm.AllReduceSum(sq);
        var withModel = _groups.Where(x => x.Group.Clipping == GroupClipping.WithModel).SelectMany(x => Tensors(x.Group)).ToList();
        double groupNorm = GradClip.GlobalNorm(withModel);
        double norm = Math.Sqrt(sq[0] + groupNorm * groupNorm);
        if (_options.MaxGradNorm > 0 && _options.MaxGradNorm / (norm + 1e-6) is var factor && factor < 1)
        {
            _zero.Scale(factor);
            using var _ = Autograd.NoGrad();
            foreach (var p in withModel)
                if (p.Grad is { } g) { if (!g.IsContiguous) p.Grad = g = g.Contiguous(); Backend.Of(g).ScaleInPlace(g, factor); }
        }
        return norm;
    }

    public void ZeroGrad()
    {
        _zero?.ZeroGrad();
        _decay.ZeroGrad(); _noDecay.ZeroGrad();
        foreach (var (_, opt) in _groups) opt.ZeroGrad();
    }

    private static IEnumerable<Tensor> Tensors(ParameterGroup g) => g.Parameters.Select(kv => kv.Value);

    private static void Negate(IEnumerable<Tensor> ps)
    {
        using var _ = Autograd.NoGrad();
        foreach (var p in ps)
        {
            if (p.Grad is not { } g) continue;
            if (!g.IsContiguous) p.Grad = g = g.Contiguous();
            Backend.Of(g).ScaleInPlace(g, -1.0);
        }
    }

    // ---- checkpoints ----

    private IEnumerable<(string Key, AdamW Opt)> All()
    {
        yield return ("decay", _decay);
        yield return ("no_decay", _noDecay);
        foreach (var (g, opt) in _groups) yield return ($"group.{g.Name}", opt);
    }

    /// <summary>Moments of every group, their step counts, and the extra groups' current values.</summary>
    public void Save(string dir, IReadOnlyList<KeyValuePair<string, Tensor>>? gathered = null)
    {
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var (key, opt) in All())
        {
            for (int i = 0; i < opt.State.Count; i++)
            {
                tensors.Add(new($"{key}.{i}.exp_avg", opt.State[i].m.Detach()));
                tensors.Add(new($"{key}.{i}.exp_avg_sq", opt.State[i].v.Detach()));
            }
        }
        if (gathered is not null) tensors.InsertRange(0, gathered);
        long decaySteps = _zero?.StepCount ?? _decay.StepCount, noDecaySteps = _zero?.StepCount ?? _noDecay.StepCount;
        SafeTensorsWriter.Write(Path.Combine(dir, MomentsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        CheckpointJson.Write(Path.Combine(dir, StepsFile), new JsonObject
        {
            ["decay_steps"] = decaySteps, ["no_decay_steps"] = noDecaySteps,
            ["groups"] = new JsonObject(_groups.Select(x => KeyValuePair.Create(x.Group.Name, (JsonNode?)x.Opt.StepCount))),
        });
        if (_groups.Count > 0)
            SafeTensorsWriter.Write(Path.Combine(dir, GroupValuesFile),
                _groups.SelectMany(x => x.Group.Parameters.Select(kv => KeyValuePair.Create($"{x.Group.Name}/{kv.Key}", kv.Value.Detach()))));
    }

    /// <summary>Restore what <see cref="Save"/> wrote; the groups registered now must be exactly the checkpoint's.</summary>
    public void Load(string dir)
    {
        var moments = SafeTensorsDictionary.ReadAll(Path.Combine(dir, MomentsFile));
        var steps = CheckpointJson.Read(Path.Combine(dir, StepsFile));
        var savedGroups = steps["groups"] as JsonObject ?? [];
        var mine = _groups.Select(x => x.Group.Name).ToHashSet();
        foreach (var (name, _) in savedGroups)
            if (!mine.Contains(name)) throw new InvalidDataException($"{dir} holds parameter group '{name}', which this run does not register (was it written by another method?).");
        foreach (var name in mine)
            if (!savedGroups.ContainsKey(name)) throw new InvalidDataException($"{dir} has no parameter group '{name}' (registered by this run); it was written without it, so its values and moments cannot be restored.");
        if (_zero is not null) LoadZero(moments, steps["decay_steps"]!.GetValue<long>(), dir);
        LoadMoments(moments, "decay", _decay, steps["decay_steps"]!.GetValue<long>(), dir);
        LoadMoments(moments, "no_decay", _noDecay, steps["no_decay_steps"]!.GetValue<long>(), dir);
        if (_groups.Count == 0) return;
        var values = SafeTensorsDictionary.ReadAll(Path.Combine(dir, GroupValuesFile));
        using var _ = Autograd.NoGrad();
        foreach (var (g, opt) in _groups)
        {
            LoadMoments(moments, $"group.{g.Name}", opt, savedGroups[g.Name]!.GetValue<long>(), dir);
            foreach (var (n, t) in g.Parameters)
            {
                if (!values.TryGetValue($"{g.Name}/{n}", out var v)) throw new InvalidDataException($"{dir}/{GroupValuesFile} lacks '{g.Name}/{n}'.");
                if (!v.Shape.SequenceEqual(t.Shape)) throw new InvalidDataException($"{dir}: '{g.Name}/{n}' is {v.ShapeString}, the tensor is {t.ShapeString}.");
                (t.Device.IsCpu ? v : v.To(t.Device)).CopyTo(t);
            }
            Autocast.MarkUpdated(Tensors(g));
        }
    }

    /// <summary>ZeRO-1: every parameter's full moments from the checkpoint; this rank keeps its block.</summary>
    private void LoadZero(Dictionary<string, Tensor> saved, long stepCount, string dir)
    {
        var list = new List<(Tensor m, Tensor v)>();
        foreach (var (key, ps) in new[] { ("decay", Decayed(true)), ("no_decay", Decayed(false)) })
            for (int i = 0; i < ps.Count; i++)
            {
                if (!saved.TryGetValue($"{key}.{i}.exp_avg", out var m) || !saved.TryGetValue($"{key}.{i}.exp_avg_sq", out var v))
                    throw new InvalidDataException($"{dir}/{MomentsFile} lacks the moments of {key} parameter {i}; was it written for another model or LoRA setting?");
                if (!m.Shape.SequenceEqual(ps[i].Shape)) throw new InvalidDataException($"{dir}: optimizer moment {key}.{i} is {m.ShapeString}, the parameter is {ps[i].ShapeString}.");
                list.Add((m, v));
            }
        _zero!.LoadMoments(stepCount, list);
    }

    private static void LoadMoments(Dictionary<string, Tensor> saved, string key, AdamW opt, long stepCount, string dir)
    {
        var list = new List<(Tensor m, Tensor v)>();
        for (int i = 0; i < opt.Parameters.Count; i++)
        {
            if (!saved.TryGetValue($"{key}.{i}.exp_avg", out var m) || !saved.TryGetValue($"{key}.{i}.exp_avg_sq", out var v))
                throw new InvalidDataException($"{dir}/{MomentsFile} lacks the moments of {key} parameter {i}; was it written for another model, LoRA setting or parameter group?");
            if (!m.Shape.SequenceEqual(opt.Parameters[i].Shape)) throw new InvalidDataException($"{dir}: optimizer moment {key}.{i} is {m.ShapeString}, the parameter is {opt.Parameters[i].ShapeString}.");
            var dev = opt.Parameters[i].Device;
            list.Add(dev.IsCpu ? (m, v) : (m.To(dev), v.To(dev)));
        }
        opt.LoadState(stepCount, list);
    }
}
