namespace Engine.Runtime.Cuda;

/// <summary>The AdamW step (one tensor, or many in one launch) and gradient clipping's norm and scale on CUDA (kernels/optim.cu), twins of Cpu/Optim; f32, deterministic.</summary>
public sealed unsafe partial class CudaBackend
{
    /// <summary>Blocks of the squared-norm partial sums (summed on the host in block order).</summary>
    private const int SumSquaresBlocks = 256;

    public double SumOfSquares(Tensor x)
    {
        RequireF32("SumOfSquares", x);
        var partial = Tensor.Zeros([SumSquaresBlocks], DType.F32, x.Device);
        if (x.NumElements > 0) OptimKernels.SumSquaresPartialF32(S, Grid.Blocks(SumSquaresBlocks), P(x.Contiguous()), P(partial), x.NumElements);
        double s = 0;
        foreach (var v in partial.To(Runtime.Device.Cpu).ToArray<float>()) s += v; // fixed order: deterministic
        return s;
    }

    public void ScaleInPlace(Tensor x, double factor)
    {
        RequireF32("ScaleInPlace", x);
        if (!x.IsContiguous) throw new ArgumentException($"ScaleInPlace needs a contiguous tensor, got a view of shape {x.ShapeString}.");
        if (x.NumElements > 0) OptimKernels.ScaleInplaceF32(S, Grid.Elements(x.NumElements), P(x), (float)factor, x.NumElements);
    }

    public void AdamWStep(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps, double weightDecay, long step)
    {
        RequireF32("AdamWStep", param, grad, m, v);
        if (param.NumElements == 0) return;
        var a = new AdamWScalars(lr, beta1, beta2, eps, weightDecay, step);
        OptimKernels.AdamwF32(S, Grid.Elements(param.NumElements), P(param), P(grad), P(m), P(v), param.NumElements,
            a.Decay, a.W1, a.OneMinusW1, a.LerpFromStart, a.Beta2, a.W2, a.StepSize, a.Bc2Sqrt, a.Eps, a.ApplyDecay);
    }

    /// <summary>Elements per block of the multi-tensor AdamW launch.</summary>
    private const long AdamWChunk = 65_536;

    public void AdamWStepMany(IReadOnlyList<AdamWTensors> groups, double lr, double beta1, double beta2, double eps, double weightDecay, long step)
    {
        if (groups.Count == 0) return;
        foreach (var t in groups)
        {
            RequireF32("AdamWStep", t.Param, t.Grad, t.M, t.V);
            if (!t.Param.IsContiguous || !t.Grad.IsContiguous || !t.M.IsContiguous || !t.V.IsContiguous)
                throw new ArgumentException($"AdamWStepMany: every tensor must be contiguous ({t.Param.ShapeString}).");
        }
        // One table for the whole step: 4 addresses and a size per tensor, then (tensor, first element) per block.
        int n = groups.Count;
        var meta = new List<long>(5 * n + 64);
        foreach (var t in groups) meta.AddRange([(long)Addr(t.Param), (long)Addr(t.Grad), (long)Addr(t.M), (long)Addr(t.V)]);
        foreach (var t in groups) meta.Add(t.Param.NumElements);
        long blocks = 0;
        for (int i = 0; i < n; i++)
            for (long first = 0; first < groups[i].Param.NumElements; first += AdamWChunk) { meta.Add(i); meta.Add(first); blocks++; }
        if (blocks == 0) return;
        if (blocks > int.MaxValue) throw new ArgumentException($"AdamWStepMany: {blocks} blocks is too many for one launch.");
        using var table = CudaBuffer<long>.From(Device, meta.ToArray());
        var a = new AdamWScalars(lr, beta1, beta2, eps, weightDecay, step);
        OptimKernels.AdamwMultiF32(S, Grid.Blocks(blocks), table.Ptr, n, AdamWChunk,
            a.Decay, a.W1, a.OneMinusW1, a.LerpFromStart, a.Beta2, a.W2, a.StepSize, a.Bc2Sqrt, a.Eps, a.ApplyDecay);
    }

    /// <summary>The step's scalars, prepared exactly as the CPU kernel prepares them (f64, then rounded to f32).</summary>
    private readonly struct AdamWScalars(double lr, double beta1, double beta2, double eps, double weightDecay, long step)
    {
        public float Decay { get; } = (float)(1 - lr * weightDecay);
        public float W1 { get; } = (float)(1 - beta1);
        public float OneMinusW1 { get; } = 1f - (float)(1 - beta1);
        public int LerpFromStart { get; } = Math.Abs(1 - beta1) < 0.5 ? 1 : 0;
        public float Beta2 { get; } = (float)beta2;
        public float W2 { get; } = (float)(1 - beta2);
        public float StepSize { get; } = (float)(lr / (1 - Math.Pow(beta1, step)));
        public float Bc2Sqrt { get; } = (float)Math.Sqrt(1 - Math.Pow(beta2, step));
        public float Eps { get; } = (float)eps;
        public int ApplyDecay { get; } = weightDecay != 0 ? 1 : 0;
    }
}
