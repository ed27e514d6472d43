namespace Engine.Runtime.Cuda;

/// <summary>Hard-concrete (L0) mask ops on CUDA (f32), twins of CpuHardConcrete; one fused kernel per op.</summary>
public sealed unsafe partial class CudaBackend
{
    public Tensor HardConcreteSample(Tensor logAlpha, ulong seed, ulong offset)
    {
        RequireF32("HardConcreteSample", logAlpha);
        var z = Like(logAlpha);
        HardConcreteKernels.HcSampleF32(S, Grid.Elements(z.NumElements), P(logAlpha), P(z), seed, offset, z.NumElements);
        return z;
    }

    public Tensor HardConcreteSampleBackward(Tensor logAlpha, ulong seed, ulong offset, Tensor gz)
    {
        RequireF32("HardConcreteSampleBackward", logAlpha, gz);
        HardConcreteSameShape("HardConcreteSampleBackward", logAlpha, gz);
        var g = Like(logAlpha);
        HardConcreteKernels.HcSampleBwdF32(S, Grid.Elements(g.NumElements), P(logAlpha), P(gz), P(g), seed, offset, g.NumElements);
        return g;
    }

    public Tensor HardConcreteScore(Tensor logAlpha)
    {
        RequireF32("HardConcreteScore", logAlpha);
        var y = Like(logAlpha);
        HardConcreteKernels.HcScoreF32(S, Grid.Elements(y.NumElements), P(logAlpha), P(y), y.NumElements);
        return y;
    }

    public Tensor HardConcreteScoreBackward(Tensor logAlpha, Tensor gs)
    {
        RequireF32("HardConcreteScoreBackward", logAlpha, gs);
        HardConcreteSameShape("HardConcreteScoreBackward", logAlpha, gs);
        var g = Like(logAlpha);
        HardConcreteKernels.HcScoreBwdF32(S, Grid.Elements(g.NumElements), P(logAlpha), P(gs), P(g), g.NumElements);
        return g;
    }

    public Tensor HardConcreteEvalMask(Tensor logAlpha, int targetSize)
    {
        RequireF32("HardConcreteEvalMask", logAlpha);
        int n = logAlpha.Rank == 0 ? 1 : logAlpha.Size(-1);
        if (targetSize > n) throw new ArgumentOutOfRangeException(nameof(targetSize), $"HardConcreteEvalMask: target size {targetSize} exceeds the row size {n} of log α {logAlpha.ShapeString}.");
        var y = Like(logAlpha);
        if (n == 0 || y.NumElements == 0) return y;
        long rows = logAlpha.NumElements / n;
        // One block of the kernel's own size (its shared histogram has one bin per thread) per row.
        HardConcreteKernels.HcEvalMaskF32(S, Grid.Blocks(rows), P(logAlpha), P(y), n, targetSize);
        return y;
    }

    public void HardConcreteClampInPlace(Tensor logAlpha, double min, double max)
    {
        RequireF32("HardConcreteClampInPlace", logAlpha);
        if (!logAlpha.IsContiguous) throw new ArgumentException($"HardConcreteClampInPlace needs a contiguous log α, got a view of shape {logAlpha.ShapeString}.");
        HardConcreteKernels.HcClampF32(S, Grid.Elements(logAlpha.NumElements), P(logAlpha), (float)min, (float)max, logAlpha.NumElements);
    }

    private static void HardConcreteSameShape(string op, Tensor a, Tensor b)
    {
        if (!a.Shape.SequenceEqual(b.Shape)) throw new ArgumentException($"{op}: log α {a.ShapeString} and its gradient {b.ShapeString} must have the same shape.");
    }
}
