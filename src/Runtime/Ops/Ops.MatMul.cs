using Engine.Runtime.Cpu;

namespace Engine.Runtime;

public partial interface IBackend
{
    /// <summary>
    /// Batched matrix product y[b] = op(a[b])·op(b[b]) over the leading (batch) dims. a is [..., M, K]
    /// (or [..., K, M] when transA), b is [..., K, N] (or [..., N, K] when transB), contiguous;
    /// b may also be rank 2 and shared by every batch. Output is [..., M, N].
    /// </summary>
    Tensor MatMul(Tensor a, Tensor b, bool transA, bool transB);
}

public sealed unsafe partial class CpuBackend
{
    public Tensor MatMul(Tensor a, Tensor b, bool transA, bool transB)
    {
        if (b.DType == DType.BF16 && a.DType == DType.F32) return MatMulBf16(a, b, transA, transB);
        RequireSameDType("MatMul", a, b);
        var (batch, m, k, n, shape) = Ops.MatMulShape(a, b, transA, transB);
        var y = Tensor.Empty(shape, a.DType);
        long sa = (long)m * k, sb = b.Rank == 2 ? 0 : (long)k * n, sc = (long)m * n;
        int lda = transA ? m : k, ldb = transB ? k : n;
        if (a.DType == DType.F32)
            Gemm.GemmStridedBatched(transA, transB, m, n, k, 1f, a.Ptr<float>(), lda, sa, b.Ptr<float>(), ldb, sb, 0f, y.Ptr<float>(), n, sc, batch);
        else
            Gemm.GemmStridedBatched(transA, transB, m, n, k, 1.0, a.Ptr<double>(), lda, sa, b.Ptr<double>(), ldb, sb, 0.0, y.Ptr<double>(), n, sc, batch);
        return y;
    }

    private Tensor MatMulBf16(Tensor a, Tensor b, bool transA, bool transB)
    {
        var (batch, m, k, n, shape) = Ops.MatMulShape(a, b, transA, transB);
        if (b.Rank != 2) throw new NotSupportedException("bf16 × f32 matmul needs a rank-2 (weight) right operand.");
        var y = Tensor.Empty(shape, DType.F32);
        int lda = transA ? m : k, ldb = transB ? k : n;
        if (!transA && batch > 1)
        {
            // Rows of all batches form one tall matrix: one call, one widening of the weights.
            Gemm.SgemmBf16B(false, transB, batch * m, n, k, 1f, a.Ptr<float>(), lda, b.Ptr<ushort>(), ldb, 0f, y.Ptr<float>(), n);
            return y;
        }
        for (int i = 0; i < batch; i++)
            Gemm.SgemmBf16B(transA, transB, m, n, k, 1f, a.Ptr<float>() + i * (long)m * k, lda, b.Ptr<ushort>(), ldb, 0f, y.Ptr<float>() + i * (long)m * n, n);
        return y;
    }
}

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
                    gb = be.MatMul(a2, g2, true, false);
                }
                else gb = be.MatMul(ad, gc, !ta, false);
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
                gw = be.MatMul(gc.Reshape(-1, gc.Size(-1)), xc.Reshape(-1, xc.Size(-1)), true, false);
            if (bias is { RequiresGrad: true }) gbias = SumTo(gc, bias.Shape);
            return bias is null ? [gx, gw] : [gx, gw, gbias];
        });
    }
}
