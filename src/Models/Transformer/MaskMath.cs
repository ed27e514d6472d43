using Engine.Runtime;

namespace Engine.Models.Transformer;

/// <summary>
/// The few composed ops the structural masks need, written with broadcasts every backend has (same shape, or a vector
/// over the last dim), so the masked forward runs unchanged on CUDA.
/// </summary>
internal static class MaskMath
{
    /// <summary>x ⊙ z for z [x.Size(-1)], or z [1] (a scalar gate): y = x·z with dL/dz summed over x.</summary>
    public static Tensor Scale(Tensor x, Tensor z)
    {
        if (z.NumElements == 1 && x.Size(-1) != 1)
        {
            var shape = x.ShapeArray();
            return Ops.Mul(x.Reshape(-1, 1), z.Reshape(1)).Reshape(shape);
        }
        return Ops.Mul(x, z);
    }

    /// <summary>[n] → [n·times], each element repeated <paramref name="times"/> times (torch.repeat_interleave), differentiable.</summary>
    public static Tensor RepeatInterleave(Tensor z, int times)
    {
        if (times == 1) return z;
        int n = z.Size(0);
        // An outer product with ones; kept out of any autocast scope so mask values are not rounded to bf16.
        using var f32 = Autocast.Disable();
        var ones = Tensor.Full([1, times], 1.0, z.DType);
        if (!z.Device.IsCpu) ones = ones.To(z.Device);
        return Ops.MatMul(z.Reshape(n, 1), ones).Reshape(n * times);
    }

    /// <summary>
    /// RMSNorm whose mean square runs over the kept dims only: y = x / √(Σ_kept x² / n_kept + eps) · w ⊙ z.
    /// The residual stream is exactly zero on pruned dims (every write to it is multiplied by z), so Σ_kept x² = Σ x²
    /// and the fused RMSNorm of x·c with c = √(H / n_kept), divided by c, is that norm (c cancels in x / rms).
    /// </summary>
    public static Tensor RmsNormKept(Tensor x, Tensor weight, double eps, Tensor z, double keepScale)
    {
        var y = keepScale == 1 ? Ops.RmsNorm(x, weight, eps) : Ops.Scale(Ops.RmsNorm(Ops.Scale(x, keepScale), weight, eps), 1 / keepScale);
        return Ops.Mul(y, z);
    }
}
