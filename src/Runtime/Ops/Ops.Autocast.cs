namespace Engine.Runtime;

/// <summary>
/// The autocast forms of <see cref="MatMul"/> and <see cref="Linear"/>, taken while an <see cref="Autocast"/> scope is
/// open: operands rounded to the compute dtype, <see cref="IBackend.MixedMatMul"/> (f32 accumulation, f32 result),
/// and a backward whose matmuls do the same with the incoming gradient rounded too. The rounded operands are what
/// backward keeps (half the memory of f32 activations); gradients are returned in each input's own dtype (f32 masters).
/// </summary>
public static partial class Ops
{
    private static Tensor AutocastMatMul(Tensor a, Tensor b, DType cd)
    {
        var be = Backend.Of(a, b);
        var (ad, ta) = MatOperand(a);
        var (bd, tb) = MatOperand(b);
        var ah = Autocast.Cast(ad, cd, cacheable: false);
        var bh = Autocast.Cast(bd, cd, cacheable: false);
        var y = be.MixedMatMul(ah, bh, ta, tb);
        return Autograd.Record(y, "MatMul", [a, b], g =>
        {
            var gh = Autocast.Cast(g.Contiguous(), cd, cacheable: false);
            Tensor? ga = null, gb = null;
            if (a.RequiresGrad) ga = be.MixedMatMul(gh, bh, false, !tb);
            if (b.RequiresGrad)
            {
                if (b.Rank == 2 && a.Rank > 2)
                {
                    // dB sums over every batch: Aᵀ·G with all rows stacked, A in its logical layout.
                    var al = ta ? Autocast.Cast(a.Detach().Contiguous(), cd, cacheable: false) : ah;
                    gb = be.MixedMatMul(al.Reshape(-1, a.Size(-1)), gh.Reshape(-1, gh.Size(-1)), true, false);
                }
                else gb = be.MixedMatMul(ah, gh, !ta, false);
            }
            return [InDTypeOf(ga, a), InDTypeOf(gb, b)];
        });
    }

    private static Tensor AutocastLinear(Tensor x, Tensor w, Tensor? bias, DType cd)
    {
        var be = Backend.Of(x, w, bias);
        var xc = x.Contiguous(); var wc = w.Contiguous();
        var xh = Autocast.Cast(xc, cd, cacheable: false);
        // Only the weight object itself is cached (a contiguous copy of a strided view is new every call).
        var wh = Autocast.Cast(wc, cd, cacheable: ReferenceEquals(wc, w));
        var y = be.MixedMatMul(xh, wh, false, true);
        if (bias is not null)
        {
            using var _ = Autograd.NoGrad();
            y = be.Binary(BinaryOp.Add, y, (bias.DType == DType.F32 ? bias : bias.To(DType.F32)).Contiguous());
        }
        var inputs = bias is null ? new[] { xc, wc } : new[] { xc, wc, bias };
        return Autograd.Record(y, "Linear", inputs, g =>
        {
            var gc = g.Contiguous();
            var gh = Autocast.Cast(gc, cd, cacheable: false);
            var gx = xc.RequiresGrad ? be.MixedMatMul(gh, wh, false, false) : null;
            var gw = wc.RequiresGrad ? be.MixedMatMul(gh.Reshape(-1, gh.Size(-1)), xh.Reshape(-1, xh.Size(-1)), true, false) : null;
            // The bias gradient is a plain f32 sum of the f32 gradient: no matmul, nothing to round.
            var gb = bias is { RequiresGrad: true } ? SumTo(gc, bias.Shape) : null;
            return bias is null ? [InDTypeOf(gx, xc), InDTypeOf(gw, wc)] : [InDTypeOf(gx, xc), InDTypeOf(gw, wc), InDTypeOf(gb, bias)];
        });
    }

    private static Tensor? InDTypeOf(Tensor? g, Tensor like) => g is null || g.DType == like.DType ? g : g.To(like.DType);
}
