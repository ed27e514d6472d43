using Engine.Runtime.Cpu;

namespace Engine.Runtime;

public sealed unsafe partial class CpuBackend
{
    private static int[] RowShape(Tensor x) => x.Rank == 0 ? [] : x.ShapeArray()[..^1];

    private static (int rows, int d) Rows(Tensor x)
    {
        int d = x.Size(-1);
        return (d == 0 ? 0 : checked((int)(x.NumElements / d)), d);
    }

    public (Tensor y, Tensor rstd) RmsNorm(Tensor x, Tensor weight, double eps)
    {
        using var clock = CpuOpClock.Time("rmsnorm");
        RequireSameDType("RmsNorm", x, weight);
        var (rows, d) = Rows(x);
        var y = Tensor.EmptyLike(x);
        var rstd = Tensor.Empty(RowShape(x), x.DType);
        if (x.DType == DType.F32) CpuNorm.RmsNorm(x.Ptr<float>(), weight.Ptr<float>(), y.Ptr<float>(), rstd.Ptr<float>(), rows, d, (float)eps);
        else CpuNorm.RmsNorm(x.Ptr<double>(), weight.Ptr<double>(), y.Ptr<double>(), rstd.Ptr<double>(), rows, d, eps);
        Alive(x, weight);
        return (y, rstd);
    }

    public (Tensor gx, Tensor gw) RmsNormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor gy)
    {
        using var clock = CpuOpClock.Time("rmsnorm backward");
        RequireSameDType("RmsNormBackward", x, weight, rstd, gy);
        var (rows, d) = Rows(x);
        var gx = Tensor.EmptyLike(x);
        var gw = Tensor.EmptyLike(weight);
        if (x.DType == DType.F32) CpuNorm.RmsNormBackward(x.Ptr<float>(), weight.Ptr<float>(), rstd.Ptr<float>(), gy.Ptr<float>(), gx.Ptr<float>(), gw.Ptr<float>(), rows, d);
        else CpuNorm.RmsNormBackward(x.Ptr<double>(), weight.Ptr<double>(), rstd.Ptr<double>(), gy.Ptr<double>(), gx.Ptr<double>(), gw.Ptr<double>(), rows, d);
        Alive(x, weight, rstd, gy);
        return (gx, gw);
    }

    public (Tensor y, Tensor mean, Tensor rstd) LayerNorm(Tensor x, Tensor weight, Tensor? bias, double eps)
    {
        RequireSameDType("LayerNorm", x, weight, bias);
        var (rows, d) = Rows(x);
        var y = Tensor.EmptyLike(x);
        var mean = Tensor.Empty(RowShape(x), x.DType);
        var rstd = Tensor.Empty(RowShape(x), x.DType);
        if (x.DType == DType.F32)
            CpuNorm.LayerNorm(x.Ptr<float>(), weight.Ptr<float>(), bias is null ? null : bias.Ptr<float>(), y.Ptr<float>(), mean.Ptr<float>(), rstd.Ptr<float>(), rows, d, (float)eps);
        else
            CpuNorm.LayerNorm(x.Ptr<double>(), weight.Ptr<double>(), bias is null ? null : bias.Ptr<double>(), y.Ptr<double>(), mean.Ptr<double>(), rstd.Ptr<double>(), rows, d, eps);
        Alive(x, weight, bias);
        return (y, mean, rstd);
    }

    public (Tensor gx, Tensor gw, Tensor? gb) LayerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor gy, bool withBias)
    {
        RequireSameDType("LayerNormBackward", x, weight, mean, rstd, gy);
        var (rows, d) = Rows(x);
        var gx = Tensor.EmptyLike(x);
        var gw = Tensor.EmptyLike(weight);
        var gb = withBias ? Tensor.EmptyLike(weight) : null;
        if (x.DType == DType.F32)
            CpuNorm.LayerNormBackward(x.Ptr<float>(), weight.Ptr<float>(), mean.Ptr<float>(), rstd.Ptr<float>(), gy.Ptr<float>(), gx.Ptr<float>(), gw.Ptr<float>(), gb is null ? null : gb.Ptr<float>(), rows, d);
        else
            CpuNorm.LayerNormBackward(x.Ptr<double>(), weight.Ptr<double>(), mean.Ptr<double>(), rstd.Ptr<double>(), gy.Ptr<double>(), gx.Ptr<double>(), gw.Ptr<double>(), gb is null ? null : gb.Ptr<double>(), rows, d);
        Alive(x, weight, mean, rstd, gy);
        return (gx, gw, gb);
    }
}
