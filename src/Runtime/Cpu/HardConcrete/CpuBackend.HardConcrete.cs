using Engine.Runtime.Cpu;

namespace Engine.Runtime;

public sealed unsafe partial class CpuBackend
{
    public Tensor HardConcreteSample(Tensor logAlpha, ulong seed, ulong offset)
    {
        RequireFloat(logAlpha, "HardConcreteSample");
        var z = Tensor.EmptyLike(logAlpha);
        if (logAlpha.DType == DType.F32) CpuHardConcrete.Sample(logAlpha.Ptr<float>(), z.Ptr<float>(), z.NumElements, seed, offset);
        else CpuHardConcrete.Sample(logAlpha.Ptr<double>(), z.Ptr<double>(), z.NumElements, seed, offset);
        Alive(logAlpha);
        return z;
    }

    public Tensor HardConcreteSampleBackward(Tensor logAlpha, ulong seed, ulong offset, Tensor gz)
    {
        RequireSameDType("HardConcreteSampleBackward", logAlpha, gz);
        RequireSameShape("HardConcreteSampleBackward", logAlpha, gz);
        var g = Tensor.EmptyLike(logAlpha);
        if (logAlpha.DType == DType.F32) CpuHardConcrete.SampleBackward(logAlpha.Ptr<float>(), gz.Ptr<float>(), g.Ptr<float>(), g.NumElements, seed, offset);
        else CpuHardConcrete.SampleBackward(logAlpha.Ptr<double>(), gz.Ptr<double>(), g.Ptr<double>(), g.NumElements, seed, offset);
        Alive(logAlpha, gz);
        return g;
    }

    public Tensor HardConcreteScore(Tensor logAlpha)
    {
        RequireFloat(logAlpha, "HardConcreteScore");
        var y = Tensor.EmptyLike(logAlpha);
        if (logAlpha.DType == DType.F32) CpuHardConcrete.Score(logAlpha.Ptr<float>(), y.Ptr<float>(), y.NumElements);
        else CpuHardConcrete.Score(logAlpha.Ptr<double>(), y.Ptr<double>(), y.NumElements);
        Alive(logAlpha);
        return y;
    }

    public Tensor HardConcreteScoreBackward(Tensor logAlpha, Tensor gs)
    {
        RequireSameDType("HardConcreteScoreBackward", logAlpha, gs);
        RequireSameShape("HardConcreteScoreBackward", logAlpha, gs);
        var g = Tensor.EmptyLike(logAlpha);
        if (logAlpha.DType == DType.F32) CpuHardConcrete.ScoreBackward(logAlpha.Ptr<float>(), gs.Ptr<float>(), g.Ptr<float>(), g.NumElements);
        else CpuHardConcrete.ScoreBackward(logAlpha.Ptr<double>(), gs.Ptr<double>(), g.Ptr<double>(), g.NumElements);
        Alive(logAlpha, gs);
        return g;
    }

    public Tensor HardConcreteEvalMask(Tensor logAlpha, int targetSize)
    {
        RequireFloat(logAlpha, "HardConcreteEvalMask");
        int n = logAlpha.Rank == 0 ? 1 : logAlpha.Size(-1);
        if (targetSize > n) throw new ArgumentOutOfRangeException(nameof(targetSize), $"HardConcreteEvalMask: target size {targetSize} exceeds the row size {n} of log α {logAlpha.ShapeString}.");
        var y = Tensor.EmptyLike(logAlpha);
        if (n == 0) return y;
        long rows = logAlpha.NumElements / n;
        bool f32 = logAlpha.DType == DType.F32;
        CpuThreads.For(checked((int)rows), r =>
        {
            if (f32) CpuHardConcrete.EvalMaskRow(logAlpha.Ptr<float>() + (long)r * n, y.Ptr<float>() + (long)r * n, n, targetSize);
            else CpuHardConcrete.EvalMaskRow(logAlpha.Ptr<double>() + (long)r * n, y.Ptr<double>() + (long)r * n, n, targetSize);
        });
        Alive(logAlpha);
        return y;
    }

    public void HardConcreteClampInPlace(Tensor logAlpha, double min, double max)
    {
        RequireFloat(logAlpha, "HardConcreteClampInPlace");
        if (!logAlpha.IsContiguous) throw new ArgumentException($"HardConcreteClampInPlace needs a contiguous log α, got a view of shape {logAlpha.ShapeString}.");
        if (logAlpha.DType == DType.F32) CpuHardConcrete.ClampInPlace(logAlpha.Ptr<float>(), logAlpha.NumElements, min, max);
        else CpuHardConcrete.ClampInPlace(logAlpha.Ptr<double>(), logAlpha.NumElements, min, max);
        Alive(logAlpha);
    }
}
