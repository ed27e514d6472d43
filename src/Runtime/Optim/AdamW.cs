namespace Engine.Runtime.Optim;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov &amp; Hutter), following torch.optim.AdamW: bias-corrected moments,
/// eps added outside the square root, and p −= lr·wd·p applied before the Adam update. Moments m, v are F32
/// (F64 for F64 parameters) and the update runs in place on the parameters' storage through the backend
/// (<see cref="IBackend.AdamWStep"/>), so a CUDA backend updates device memory the same way.
/// One step counter is shared by all parameters; torch counts per parameter, which only differs when a
/// parameter skips steps (null Grad) while others advance.
/// </summary>
public sealed class AdamW
{
    private readonly Tensor[] _params;
    private readonly (Tensor m, Tensor v)[] _state;

    public AdamW(IReadOnlyList<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(lr >= 0)) throw new ArgumentOutOfRangeException(nameof(lr), $"AdamW: learning rate must be ≥ 0, got {lr}.");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), $"AdamW: beta1 must be in [0, 1), got {beta1}.");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), $"AdamW: beta2 must be in [0, 1), got {beta2}.");
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), $"AdamW: eps must be ≥ 0, got {eps}.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), $"AdamW: weight decay must be ≥ 0, got {weightDecay}.");
        _params = [.. parameters];
        _state = new (Tensor, Tensor)[_params.Length];
        for (int i = 0; i < _params.Length; i++)
        {
            var p = _params[i];
            if (p.DType is not (DType.F32 or DType.F64))
                throw new ArgumentException($"AdamW: parameter {i} {p} must be F32 or F64 (keep master weights in f32).");
            if (!p.IsContiguous) throw new ArgumentException($"AdamW: parameter {i} {p} must be contiguous (it is updated in place).");
            _state[i] = (Tensor.Zeros(p.Shape, p.DType, p.Device), Tensor.Zeros(p.Shape, p.DType, p.Device));
        }
        LearningRate = lr; Beta1 = beta1; Beta2 = beta2; Eps = eps; WeightDecay = weightDecay;
    }

    public double LearningRate { get; set; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }

    /// <summary>Steps taken so far; the next <see cref="Step"/> uses StepCount + 1 for bias correction.</summary>
    public long StepCount { get; private set; }

    public IReadOnlyList<Tensor> Parameters => _params;

    /// <summary>First and second moments per parameter (same order as <see cref="Parameters"/>), for checkpoints.</summary>
    public IReadOnlyList<(Tensor m, Tensor v)> State => _state;

    /// <summary>
    /// One update of every parameter that has a gradient; parameters whose Grad is null are left alone. All parameters
    /// on one backend go in one multi-tensor call (<see cref="IBackend.AdamWStepMany"/>: a single launch on CUDA).
    /// </summary>
    public void Step()
    {
        StepCount++;
        using var _ = Autograd.NoGrad();
        var byBackend = new Dictionary<IBackend, List<AdamWTensors>>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < _params.Length; i++)
        {
            var p = _params[i];
            if (p.Grad is not { } grad) continue;
            if (!grad.Shape.SequenceEqual(p.Shape))
                throw new InvalidOperationException($"AdamW: parameter {i} {p} has a gradient of shape {grad.ShapeString}.");
            var g = grad.DType == p.DType ? grad.Contiguous() : grad.To(p.DType).Contiguous();
            var (m, v) = _state[i];
            var be = Backend.Of(p, g, m, v);
            if (!byBackend.TryGetValue(be, out var list)) byBackend[be] = list = [];
            list.Add(new AdamWTensors(p, g, m, v));
        }
        foreach (var (be, list) in byBackend)
        {
            be.AdamWStepMany(list, LearningRate, Beta1, Beta2, Eps, WeightDecay, StepCount);
            // Updated in place: a bf16 copy an autocast scope cached is stale from here on.
            foreach (var t in list) Autocast.MarkUpdated(t.Param);
        }
    }

    public void ZeroGrad()
    {
        foreach (var p in _params) p.ZeroGrad();
    }

    /// <summary>Restore a checkpoint: copies the moments into this optimizer's state exactly (converting dtype if needed).</summary>
    public void LoadState(long stepCount, IReadOnlyList<(Tensor m, Tensor v)> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (stepCount < 0) throw new ArgumentOutOfRangeException(nameof(stepCount), $"AdamW.LoadState: step count must be ≥ 0, got {stepCount}.");
        if (state.Count != _params.Length)
            throw new ArgumentException($"AdamW.LoadState: {state.Count} state entries for {_params.Length} parameters.");
        for (int i = 0; i < state.Count; i++)
        {
            var (m, v) = state[i];
            var p = _params[i];
            if (!m.Shape.SequenceEqual(p.Shape) || !v.Shape.SequenceEqual(p.Shape))
                throw new ArgumentException($"AdamW.LoadState: entry {i} has m {m.ShapeString}, v {v.ShapeString}; parameter is {p.ShapeString}.");
        }
        using var _ = Autograd.NoGrad();
        for (int i = 0; i < state.Count; i++)
        {
            var (m, v) = state[i];
            var (dm, dv) = _state[i];
            if (ReferenceEquals(m, dm) && ReferenceEquals(v, dv)) continue;
            Convert(m, dm).CopyTo(dm);
            Convert(v, dv).CopyTo(dv);
        }
        StepCount = stepCount;

        static Tensor Convert(Tensor src, Tensor like)
        {
            var t = src.DType == like.DType ? src : src.To(like.DType);
            return t.Device == like.Device ? t : t.To(like.Device);
        }
    }
}
