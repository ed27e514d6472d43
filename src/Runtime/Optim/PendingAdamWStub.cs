// TEMPORARY (training branch): the AdamW/GradClip API being written on branch `lossops`, with a plain
// managed body so trainers can run before it merges. Delete this file when the real one lands.
namespace Engine.Runtime.Optim;

public sealed class AdamW
{
    private readonly Tensor[] _params;
    private (Tensor m, Tensor v)[] _state;

    public AdamW(IReadOnlyList<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
    {
        _params = [.. parameters];
        LearningRate = lr; _b1 = beta1; _b2 = beta2; _eps = eps; _wd = weightDecay;
        _state = _params.Select(p => (Tensor.Zeros(p.Shape, DType.F32), Tensor.Zeros(p.Shape, DType.F32))).ToArray();
    }

    private readonly double _b1, _b2, _eps, _wd;
    public double LearningRate { get; set; }
    public long StepCount { get; private set; }
    public IReadOnlyList<Tensor> Parameters => _params;
    public IReadOnlyList<(Tensor m, Tensor v)> State => _state;

    public void Step()
    {
        StepCount++;
        double bc1 = 1 - Math.Pow(_b1, StepCount), bc2 = 1 - Math.Pow(_b2, StepCount);
        for (int i = 0; i < _params.Length; i++)
        {
            var p = _params[i];
            if (p.Grad is null) continue;
            var w = p.AsSpan<float>();
            var g = p.Grad.Contiguous().To(DType.F32).AsSpan<float>();
            var m = _state[i].m.AsSpan<float>(); var v = _state[i].v.AsSpan<float>();
            for (int j = 0; j < w.Length; j++)
            {
                w[j] = (float)(w[j] * (1 - LearningRate * _wd));
                m[j] = (float)(_b1 * m[j] + (1 - _b1) * g[j]);
                v[j] = (float)(_b2 * v[j] + (1 - _b2) * g[j] * g[j]);
                w[j] = (float)(w[j] - LearningRate * (m[j] / bc1) / (Math.Sqrt(v[j] / bc2) + _eps));
            }
        }
    }

    public void ZeroGrad() { foreach (var p in _params) p.ZeroGrad(); }

    public void LoadState(long stepCount, IReadOnlyList<(Tensor m, Tensor v)> state)
    {
        if (state.Count != _params.Length) throw new ArgumentException($"AdamW.LoadState: {state.Count} moments for {_params.Length} parameters.");
        StepCount = stepCount;
        _state = state.Select(s => (s.m.Contiguous().To(DType.F32).Clone(), s.v.Contiguous().To(DType.F32).Clone())).ToArray();
    }
}

public static class GradClip
{
    public static double GlobalNorm(IEnumerable<Tensor> parameters)
    {
        double s = 0;
        foreach (var p in parameters)
            if (p.Grad is { } g) foreach (var x in g.ToDoubleArray()) s += x * x;
        return Math.Sqrt(s);
    }

    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        var ps = parameters.ToArray();
        var norm = GlobalNorm(ps);
        var coef = maxNorm / (norm + 1e-6);
        if (coef < 1)
            foreach (var p in ps) if (p.Grad is { } g) p.Grad = Ops.Scale(g, coef);
        return norm;
    }
}
