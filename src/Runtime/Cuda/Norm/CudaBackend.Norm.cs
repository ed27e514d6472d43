namespace Engine.Runtime.Cuda;

/// <summary>RMSNorm and LayerNorm on CUDA (kernels/norm.cu), twins of CpuNorm: f32, plus bf16 forwards with f32 statistics.</summary>
public sealed unsafe partial class CudaBackend
{
    public (Tensor y, Tensor rstd) RmsNorm(Tensor x, Tensor weight, double eps)
    {
        var (rows, d) = NormRows("RmsNorm", x, weight, null);
        var rstd = New(x.ShapeArray()[..^1], DType.F32);
        var y = Like(x);
        if (rows == 0) return (y, rstd);
        if (x.DType == DType.BF16 && weight.DType == DType.BF16)
            NormKernels.RmsnormFwdBf16(S, Grid.Blocks(rows), P(x), P(weight), P(y), P(rstd), d, (float)eps);
        else
        {
            RequireF32("RmsNorm", x, weight);
            NormKernels.RmsnormFwdF32(S, Grid.Blocks(rows), P(x), P(weight), P(y), P(rstd), d, (float)eps);
        }
        return (y, rstd);
    }

    public (Tensor gx, Tensor gw) RmsNormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor gy)
    {
        RequireF32("RmsNormBackward", x, weight, gy);
        var (rows, d) = NormRows("RmsNormBackward", x, weight, null);
        var gx = Like(x);
        var gw = Like(weight);
        if (rows == 0) return (gx, Tensor.Zeros(weight.Shape, DType.F32, weight.Device));
        NormKernels.RmsnormBwdXF32(S, Grid.Blocks(rows), P(x), P(weight), P(rstd), P(gy), P(gx), d);
        NormKernels.RmsnormBwdWF32(S, Grid.Elements(d), P(x), P(rstd), P(gy), P(gw), rows, d);
        return (gx, gw);
    }

    /// <summary>Rows per first-pass part of the weight/bias gradient (CpuNorm's partial size, so the sums round alike); the parts are then added in order.</summary>
    private const int LayerNormRowsPerPart = 64;
    private const int MaxGridY = 65535;

    public (Tensor y, Tensor mean, Tensor rstd) LayerNorm(Tensor x, Tensor weight, Tensor? bias, double eps)
    {
        var (rows, d) = NormRows("LayerNorm", x, weight, bias);
        x = x.Contiguous();
        var stats = x.ShapeArray()[..^1];
        var mean = New(stats, DType.F32);
        var rstd = New(stats, DType.F32);
        var y = Like(x);
        if (rows == 0) return (y, mean, rstd);
        int hasBias = bias is null ? 0 : 1;
        if (x.DType == DType.BF16 && weight.DType == DType.BF16 && (bias is null || bias.DType == DType.BF16))
            NormKernels.LayernormFwdBf16(S, Grid.Blocks(rows), P(x), P(weight), POrNull(bias), P(y), P(mean), P(rstd), d, (float)eps, hasBias);
        else
        {
            RequireF32("LayerNorm", x, weight, bias);
            NormKernels.LayernormFwdF32(S, Grid.Blocks(rows), P(x), P(weight), POrNull(bias), P(y), P(mean), P(rstd), d, (float)eps, hasBias);
        }
        return (y, mean, rstd);
    }

    public (Tensor gx, Tensor gw, Tensor? gb) LayerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor gy, bool withBias)
    {
        RequireF32("LayerNormBackward", x, weight, mean, rstd, gy);
        var (rows, d) = NormRows("LayerNormBackward", x, weight, null);
        if (!gy.Shape.SequenceEqual(x.Shape) || mean.NumElements != rows || rstd.NumElements != rows)
            throw new ArgumentException($"LayerNormBackward: gy {gy.ShapeString}, mean {mean.ShapeString}, rstd {rstd.ShapeString} do not match x {x.ShapeString} ({rows} rows).");
        x = x.Contiguous(); gy = gy.Contiguous();
        var gx = Like(x);
        if (rows == 0)
            return (gx, Tensor.Zeros(weight.Shape, DType.F32, weight.Device), withBias ? Tensor.Zeros(weight.Shape, DType.F32, weight.Device) : null);
        var gw = Like(weight);
        var gb = withBias ? Like(weight) : null;
        NormKernels.LayernormBwdXF32(S, Grid.Blocks(rows), P(x), P(weight), P(mean), P(rstd), P(gy), P(gx), d);

        // gw, gb: column sums over rows in two deterministic passes (parts of rows, then the parts in order).
        int perPart = (int)Math.Max(LayerNormRowsPerPart, (rows + MaxGridY - 1) / MaxGridY);
        int parts = (int)((rows + perPart - 1) / perPart);
        var partW = New([parts, d], DType.F32);
        var partB = withBias ? New([parts, d], DType.F32) : null;
        NormKernels.LayernormBwdWbPartsF32(S, Grid.Cover(d, (uint)parts), P(x), P(mean), P(rstd), P(gy), P(partW), POrNull(partB), rows, d, perPart, withBias ? 1 : 0);
        NormKernels.NormSumPartsF32(S, Grid.Elements(d), P(partW), P(gw), parts, d);
        if (gb is not null) NormKernels.NormSumPartsF32(S, Grid.Elements(d), P(partB!), P(gb), parts, d);
        return (gx, gw, gb);
    }

    /// <summary>[..., D] as (rows, D), with weight (and bias) of D elements.</summary>
    private static (long rows, int d) NormRows(string op, Tensor x, Tensor weight, Tensor? bias)
    {
        if (x.Rank < 1) throw new ArgumentException($"{op}: x must be [..., D], got {x.ShapeString}.");
        int d = x.Size(-1);
        if (weight.NumElements != d || (bias is not null && bias.NumElements != d))
            throw new ArgumentException($"{op}: weight {weight.ShapeString}{(bias is null ? "" : $" and bias {bias.ShapeString}")} must have D = {d} elements for x {x.ShapeString}.");
        return (d == 0 ? 0 : x.NumElements / d, d);
    }
}
