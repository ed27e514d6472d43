namespace Engine.Runtime.Cuda;

/// <summary>LayerNorm on CUDA (kernels/norm.cu), twin of CpuNorm: f32, plus a bf16 forward with f32 statistics.</summary>
public sealed unsafe partial class CudaBackend
{
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
        var b = bias is null ? new CudaPointer(0) : P(bias);
        int hasBias = bias is null ? 0 : 1;
        if (x.DType == DType.BF16 && weight.DType == DType.BF16 && (bias is null || bias.DType == DType.BF16))
            LaunchRows("norm.cu", "layernorm_fwd_bf16", rows, P(x), P(weight), b, P(y), P(mean), P(rstd), d, (float)eps, hasBias);
        else
        {
            RequireF32("LayerNorm", x, weight, bias);
            LaunchRows("norm.cu", "layernorm_fwd_f32", rows, P(x), P(weight), b, P(y), P(mean), P(rstd), d, (float)eps, hasBias);
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
        LaunchRows("norm.cu", "layernorm_bwd_x_f32", rows, P(x), P(weight), P(mean), P(rstd), P(gy), P(gx), d);

        // gw, gb: column sums over rows in two deterministic passes (parts of rows, then the parts in order).
        int perPart = (int)Math.Max(LayerNormRowsPerPart, (rows + MaxGridY - 1) / MaxGridY);
        int parts = (int)((rows + perPart - 1) / perPart);
        var partW = New([parts, d], DType.F32);
        var partB = withBias ? New([parts, d], DType.F32) : null;
        Device.Launch("norm.cu", "layernorm_bwd_wb_parts_f32", (uint)((d + 255) / 256), (uint)parts, 1, 256, 1, 1, 0,
            P(x), P(mean), P(rstd), P(gy), P(partW), partB is null ? new CudaPointer(0) : P(partB), rows, d, perPart, withBias ? 1 : 0);
        Launch1D("norm.cu", "norm_sum_parts_f32", d, P(partW), P(gw), parts, d);
        if (gb is not null) Launch1D("norm.cu", "norm_sum_parts_f32", d, P(partB!), P(gb), parts, d);
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
