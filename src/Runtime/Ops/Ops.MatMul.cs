namespace Engine.Runtime;

public static partial class Ops
{
    internal static (int batch, int m, int k, int n, int[] shape) MatMulShape(Tensor a, Tensor b, bool transA, bool transB)
    {
        if (a.Rank < 2 || b.Rank < 2) throw new ArgumentException($"MatMul needs rank ≥ 2 operands, got {a.ShapeString} and {b.ShapeString}.");
        int m = transA ? a.Size(-1) : a.Size(-2), k = transA ? a.Size(-2) : a.Size(-1);
        int kb = transB ? b.Size(-1) : b.Size(-2), n = transB ? b.Size(-2) : b.Size(-1);
        if (k != kb) throw new ArgumentException($"MatMul inner dimensions differ: {a.ShapeString}{(transA ? "ᵀ" : "")} × {b.ShapeString}{(transB ? "ᵀ" : "")}.");
        int batch = 1;
        for (int i = 0; i < a.Rank - 2; i++) batch *= a.Size(i);
        if (b.Rank > 2)
        {
            if (b.Rank != a.Rank || !a.Shape[..^2].SequenceEqual(b.Shape[..^2]))
                throw new ArgumentException($"MatMul batch dims differ: {a.ShapeString} vs {b.ShapeString} (broadcast only a rank-2 right operand).");
        }
        var shape = a.ShapeArray(); shape[^2] = m; shape[^1] = n;
        return (batch, m, k, n, shape);
    }

    /// <summary>Is t the transpose (last two dims swapped) of a contiguous tensor? Then a kernel can read it with a flag.</summary>
    private static bool IsTransposedContiguous(Tensor t)
    {
        if (t.Rank < 2) return false;
        var tt = t.Transpose(-1, -2);
        return !t.IsContiguous && tt.IsContiguous;
    }

    private static (Tensor t, bool trans) MatOperand(Tensor t)
    {
        if (t.IsContiguous) return (t, false);
        if (IsTransposedContiguous(t)) { using var _ = Autograd.NoGrad(); return (t.Transpose(-1, -2), true); }
        return (t.Contiguous(), false);
    }

    /// <summary>
    /// a @ b over the last two dims (leading dims batch; b may be rank 2). Transposed views are read in place.
    /// Inside an <see cref="Autocast"/> scope f32 operands are rounded to bf16 and accumulated in f32 (see Ops.Autocast.cs).
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        if (Autocast.Applies(a, b)) return AutocastMatMul(a, b, Autocast.ActiveDType!.Value);
        var be = Backend.Of(a, b);
        var (ad, ta) = MatOperand(a);
        var (bd, tb) = MatOperand(b);
        var y = be.MatMul(ad, bd, ta, tb);
        return Autograd.Record(y, "MatMul", [a, b], g =>
        {
            var gc = g.Contiguous();
            Tensor? ga = null, gb = null;
            // dA = G·Bᵀ, dB = Aᵀ·G in logical (untransposed) layout; summed over batch when B is shared.
            if (a.RequiresGrad) ga = be.MatMul(gc, bd, false, !tb);
            if (b.RequiresGrad)
            {
                if (b.Rank == 2 && a.Rank > 2)
                {
                    int kk = a.Size(-1);
                    var a2 = a.Contiguous().Reshape(-1, kk);
                    var g2 = gc.Reshape(-1, gc.Size(-1));
                    gb = be.MatMul(a2, g2, true, false).AsSoleGradient();
                }
                else gb = be.MatMul(ad, gc, !ta, false).AsSoleGradient();
            }
            return [ga, gb];
        });
    }

    /// <summary>
    /// x @ wᵀ + bias, with w in the Hugging Face [out, in] layout. w may be bf16 (frozen) with f32 x. Inside an
    /// <see cref="Autocast"/> scope: bf16 operands (the weight's cast cached per scope), f32 accumulation and output.
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor w, Tensor? bias = null)
    {
        if (w.Rank != 2) throw new ArgumentException($"Linear weight must be [out, in], got {w.ShapeString}.");
        if (x.Size(-1) != w.Size(1)) throw new ArgumentException($"Linear: input features {x.Size(-1)} ≠ weight in-features {w.Size(1)} (weight {w.ShapeString}).");
        if (Autocast.Applies(x, w) && (bias is null || bias.DType.IsFloat() && bias.DType != DType.F64)) return AutocastLinear(x, w, bias, Autocast.ActiveDType!.Value);
        var be = Backend.Of(x, w, bias);
        var xc = x.Contiguous(); var wc = w.Contiguous();
        var y = be.MatMul(xc, wc, false, true);
        if (bias is not null) y = be.Binary(BinaryOp.Add, y, bias.Contiguous());
        var inputs = bias is null ? new[] { xc, wc } : new[] { xc, wc, bias };
        return Autograd.Record(y, "Linear", inputs, g =>
        {
            var gc = g.Contiguous();
            var gx = xc.RequiresGrad ? be.MatMul(gc, wc, false, false) : null;
            Tensor? gw = null, gbias = null;
            if (wc.RequiresGrad)
                gw = be.MatMul(gc.Reshape(-1, gc.Size(-1)), xc.Reshape(-1, xc.Size(-1)), true, false).AsSoleGradient();
            if (bias is { RequiresGrad: true }) gbias = SumTo(gc, bias.Shape);
            return bias is null ? [gx, gw] : [gx, gw, gbias];
        });
    }
}
