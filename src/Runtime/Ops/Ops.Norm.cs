namespace Engine.Runtime;

public static partial class Ops
{
    /// <summary>RMSNorm over the last dim: y = x / sqrt(mean(x²) + eps) · weight, weight [D] (Llama/Qwen; Qwen3 q/k norm over head_dim).</summary>
    public static Tensor RmsNorm(Tensor x, Tensor weight, double eps)
    {
        CheckNormWeight("RmsNorm", x, weight, "weight");
        var be = Backend.Of(x, weight);
        var xc = x.Contiguous(); var wc = AsDTypeOf(weight, xc).Contiguous();
        var (y, rstd) = be.RmsNorm(xc, wc, eps);
        return Autograd.Record(y, "RmsNorm", [xc, wc], g =>
        {
            var (gx, gw) = be.RmsNormBackward(xc, wc, rstd, g.Contiguous());
            return [xc.RequiresGrad ? gx : null, wc.RequiresGrad ? gw : null];
        });
    }

    /// <summary>LayerNorm over the last dim: y = (x − mean) / sqrt(var + eps) · weight + bias (biased variance, as torch).</summary>
    public static Tensor LayerNorm(Tensor x, Tensor weight, Tensor? bias, double eps)
    {
        CheckNormWeight("LayerNorm", x, weight, "weight");
        if (bias is not null) CheckNormWeight("LayerNorm", x, bias, "bias");
        var be = Backend.Of(x, weight, bias);
        var xc = x.Contiguous(); var wc = AsDTypeOf(weight, xc).Contiguous(); var bc = bias is null ? null : AsDTypeOf(bias, xc).Contiguous();
        var (y, mean, rstd) = be.LayerNorm(xc, wc, bc, eps);
        var inputs = bc is null ? new[] { xc, wc } : new[] { xc, wc, bc };
        return Autograd.Record(y, "LayerNorm", inputs, g =>
        {
            var (gx, gw, gb) = be.LayerNormBackward(xc, wc, mean, rstd, g.Contiguous(), bc is { RequiresGrad: true });
            var gxo = xc.RequiresGrad ? gx : null;
            var gwo = wc.RequiresGrad ? gw : null;
            return bc is null ? [gxo, gwo] : [gxo, gwo, gb];
        });
    }

    /// <summary>bf16/f16 checkpoint weights with f32 activations: compute in the activations' dtype (the cast records its own backward).</summary>
    private static Tensor AsDTypeOf(Tensor w, Tensor x) => w.DType != x.DType && w.DType.IsFloat() && x.DType.IsFloat() ? w.To(x.DType) : w;

    private static void CheckNormWeight(string op, Tensor x, Tensor w, string what)
    {
        if (x.Rank == 0) throw new ArgumentException($"{op} needs x of rank ≥ 1, got a scalar.");
        if (w.Rank != 1 || w.Size(0) != x.Size(-1))
            throw new ArgumentException($"{op}: {what} must be [{x.Size(-1)}] (the last dim of x {x.ShapeString}), got {w.ShapeString}.");
    }
}
