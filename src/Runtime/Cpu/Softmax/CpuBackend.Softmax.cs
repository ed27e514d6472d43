using Engine.Runtime.Cpu;

namespace Engine.Runtime;

public sealed unsafe partial class CpuBackend
{
    /// <summary>[outer, n, inner] view of a contiguous tensor around <paramref name="dim"/>.</summary>
    private static (int outer, int n, int inner) AroundDim(Tensor x, int dim)
    {
        long outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= x.Size(i);
        for (int i = dim + 1; i < x.Rank; i++) inner *= x.Size(i);
        return (checked((int)outer), x.Size(dim), checked((int)inner));
    }

    public Tensor Softmax(Tensor x, int dim, bool log)
    {
        RequireFloat(x, log ? "LogSoftmax" : "Softmax");
        var (outer, n, inner) = AroundDim(x, dim);
        var y = Tensor.EmptyLike(x);
        if (x.DType == DType.F32) CpuSoftmax.Forward(x.Ptr<float>(), y.Ptr<float>(), outer, n, inner, log);
        else CpuSoftmax.Forward(x.Ptr<double>(), y.Ptr<double>(), outer, n, inner, log);
        Alive(x);
        return y;
    }

    public Tensor SoftmaxBackward(Tensor y, Tensor gy, int dim, bool log)
    {
        RequireSameDType(log ? "LogSoftmaxBackward" : "SoftmaxBackward", y, gy);
        var (outer, n, inner) = AroundDim(y, dim);
        var gx = Tensor.EmptyLike(y);
        if (y.DType == DType.F32) CpuSoftmax.Backward(y.Ptr<float>(), gy.Ptr<float>(), gx.Ptr<float>(), outer, n, inner, log);
        else CpuSoftmax.Backward(y.Ptr<double>(), gy.Ptr<double>(), gx.Ptr<double>(), outer, n, inner, log);
        Alive(y, gy);
        return gx;
    }
}
