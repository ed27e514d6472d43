using Engine.Runtime.Cpu;

namespace Engine.Runtime;

public sealed unsafe partial class CpuBackend
{
    public Tensor Dropout(Tensor x, double p, ulong seed, ulong offset)
    {
        RequireFloat(x, "Dropout");
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout probability must be in [0, 1) for the kernel, got {p}.");
        var y = Tensor.EmptyLike(x);
        if (x.DType == DType.F32) CpuDropout.Apply(x.Ptr<float>(), y.Ptr<float>(), x.NumElements, p, seed, offset);
        else CpuDropout.Apply(x.Ptr<double>(), y.Ptr<double>(), x.NumElements, p, seed, offset);
        Alive(x);
        return y;
    }
}
