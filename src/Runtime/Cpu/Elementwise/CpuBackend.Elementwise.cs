using Engine.Runtime.Cpu;

namespace Engine.Runtime;

public sealed partial class CpuBackend
{
    public Tensor Binary(BinaryOp op, Tensor a, Tensor b)
    {
        using var clock = CpuOpClock.Time("elementwise");
        RequireSameDType(op.ToString(), a, b);
        var y = Tensor.Empty(CpuElementwise.BroadcastShape(a.Shape, b.Shape), a.DType);
        if (a.DType == DType.F32) CpuElementwise.Binary<float>(op, a, b, y); else CpuElementwise.Binary<double>(op, a, b, y);
        Alive(a, b);
        return y;
    }

    public Tensor Affine(Tensor x, double alpha, double beta)
    {
        using var clock = CpuOpClock.Time("elementwise");
        RequireFloat(x, "Affine");
        var y = Tensor.EmptyLike(x);
        if (x.DType == DType.F32) CpuElementwise.Affine<float>(x.AsSpan<float>(), (float)alpha, (float)beta, y.AsSpan<float>());
        else CpuElementwise.Affine<double>(x.AsSpan<double>(), alpha, beta, y.AsSpan<double>());
        Alive(x);
        return y;
    }

    public Tensor Unary(UnaryOp op, Tensor x)
    {
        using var clock = CpuOpClock.Time("elementwise");
        RequireFloat(x, op.ToString());
        var y = Tensor.EmptyLike(x);
        if (x.DType == DType.F32) CpuElementwise.Unary<float>(op, x.AsSpan<float>(), y.AsSpan<float>());
        else CpuElementwise.Unary<double>(op, x.AsSpan<double>(), y.AsSpan<double>());
        Alive(x);
        return y;
    }

    public Tensor UnaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gy)
    {
        RequireSameDType(op + "Backward", x, y, gy);
        var gx = Tensor.EmptyLike(x);
        if (x.DType == DType.F32) CpuElementwise.UnaryBackward<float>(op, x.AsSpan<float>(), y.AsSpan<float>(), gy.AsSpan<float>(), gx.AsSpan<float>());
        else CpuElementwise.UnaryBackward<double>(op, x.AsSpan<double>(), y.AsSpan<double>(), gy.AsSpan<double>(), gx.AsSpan<double>());
        Alive(x, y, gy);
        return gx;
    }

    public Tensor Sum(Tensor x, int[] dims, bool keepDim)
    {
        using var clock = CpuOpClock.Time("sum");
        RequireFloat(x, "Sum");
        var kept = x.ShapeArray();
        foreach (var d in dims) kept[d] = 1;
        var y = Tensor.Empty(kept, x.DType);
        if (x.DType == DType.F32) CpuElementwise.Sum<float>(x, dims, y); else CpuElementwise.Sum<double>(x, dims, y);
        if (keepDim) return y;
        var outShape = x.ShapeArray().Where((_, i) => !dims.Contains(i)).ToArray();
        Alive(x);
        return y.Reshape(outShape);
    }

    public Tensor BroadcastTo(Tensor x, int[] shape)
    {
        RequireFloat(x, "BroadcastTo");
        var zeros = Tensor.Zeros(shape, x.DType);
        Alive(x);
        return Binary(BinaryOp.Add, zeros, x);
    }
}
