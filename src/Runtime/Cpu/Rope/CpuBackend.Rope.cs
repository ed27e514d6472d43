using Engine.Runtime.Cpu;

namespace Engine.Runtime;

public sealed unsafe partial class CpuBackend
{
    public Tensor Rope(Tensor x, Tensor cos, Tensor sin, bool transpose)
    {
        using var clock = CpuOpClock.Time("rope");
        RequireSameDType("Rope", x, cos, sin);
        if (x.Rank != 4 || x.Strides[3] != 1) throw new ArgumentException($"Rope on cpu needs x [B, H, T, D] with unit stride in D, got {x.ShapeString}.");
        if (!cos.IsContiguous || !sin.IsContiguous) throw new ArgumentException("Rope on cpu needs contiguous cos/sin tables.");
        int bN = x.Size(0), hN = x.Size(1), tN = x.Size(2), d = x.Size(3), r = cos.Size(-1);
        long cb = cos.Rank == 3 ? (long)tN * r : 0;
        var y = Tensor.Empty(x.Shape, x.DType);
        var s = x.Strides;
        if (x.DType == DType.F32)
            CpuRope.Apply(x.Ptr<float>(), s[0], s[1], s[2], cos.Ptr<float>(), sin.Ptr<float>(), cb, y.Ptr<float>(), bN, hN, tN, d, r, transpose);
        else
            CpuRope.Apply(x.Ptr<double>(), s[0], s[1], s[2], cos.Ptr<double>(), sin.Ptr<double>(), cb, y.Ptr<double>(), bN, hN, tN, d, r, transpose);
        Alive(x, cos, sin);
        return y;
    }
}
