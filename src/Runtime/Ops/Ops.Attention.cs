namespace Engine.Runtime;

public static partial class Ops
{
    /// <summary>
    /// Fused attention with grouped-query heads and a key padding mask.
    /// q: [B, Hq, Tq, D], k/v: [B, Hkv, Tk, D] with Hq % Hkv == 0 (query head h uses kv head h / (Hq/Hkv)); any
    /// strides (unit stride in D is read in place). keyMask: optional [B, Tk] (U8, I32 or I64; nonzero = attend).
    /// causal: query i attends key j iff j ≤ i + (Tk − Tq), so KV-cache decoding works. scale defaults to 1/√D.
    /// Rows with no visible key output zeros. Output [B, Hq, Tq, D]. Backward recomputes the probabilities
    /// tile by tile from the saved per-row log-sum-exp (flash-attention style), so memory stays O(T·D).
    /// </summary>
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, bool causal, Tensor? keyMask = null, double? scale = null)
    {
        CheckAttentionShapes(q, k, v, keyMask);
        var be = Backend.Of(q, k, v, keyMask);
        if (Autocast.ActiveDType == DType.BF16 && q.DType == DType.F32 && be.HasNativeAttention(DType.BF16, q.Size(3)))
            return AttentionBf16(be, q, k, v, causal, keyMask, scale ?? 1.0 / Math.Sqrt(q.Size(3)));
        var qv = UnitLastStride(q); var kv = UnitLastStride(k); var vv = UnitLastStride(v);
        double s = scale ?? 1.0 / Math.Sqrt(q.Size(3));
        var (o, lse) = be.AttentionForward(qv, kv, vv, keyMask, causal, s);
        return Autograd.Record(o, "Attention", [qv, kv, vv], g =>
        {
            var (dq, dk, dv) = be.AttentionBackward(qv, kv, vv, o, lse, UnitLastStride(g), keyMask, causal, s);
            return [qv.RequiresGrad ? dq : null, kv.RequiresGrad ? dk : null, vv.RequiresGrad ? dv : null];
        });
    }

    /// <summary>
    /// Attention inside a bf16 autocast scope on a backend with a bf16 kernel (CUDA's tensor-core flash kernels): q/k/v
    /// are rounded to bf16, the kernel accumulates in f32, and the output and gradients come back as f32, like
    /// torch.autocast's scaled_dot_product_attention. Elsewhere attention stays f32 under autocast.
    /// </summary>
    private static Tensor AttentionBf16(IBackend be, Tensor q, Tensor k, Tensor v, bool causal, Tensor? keyMask, double s)
    {
        Tensor Bf16(Tensor t) => be.Cast(t.Contiguous(), DType.BF16);
        var qb = Bf16(q); var kb = Bf16(k); var vb = Bf16(v);
        var (ob, lse) = be.AttentionForward(qb, kb, vb, keyMask, causal, s);
        var o = be.Cast(ob, DType.F32);
        return Autograd.Record(o, "Attention(bf16)", [q, k, v], g =>
        {
            var (dq, dk, dv) = be.AttentionBackward(qb, kb, vb, ob, lse, Bf16(g), keyMask, causal, s);
            return [q.RequiresGrad ? be.Cast(dq, DType.F32) : null, k.RequiresGrad ? be.Cast(dk, DType.F32) : null, v.RequiresGrad ? be.Cast(dv, DType.F32) : null];
        });
    }

    private static Tensor UnitLastStride(Tensor t) => t.Strides[^1] == 1 ? t : t.Contiguous();

    private static void CheckAttentionShapes(Tensor q, Tensor k, Tensor v, Tensor? keyMask)
    {
        string Shapes() => $"q {q.ShapeString}, k {k.ShapeString}, v {v.ShapeString}{(keyMask is null ? "" : $", keyMask {keyMask.ShapeString}")}";
        if (q.Rank != 4 || k.Rank != 4 || v.Rank != 4)
            throw new ArgumentException($"Attention needs q [B, Hq, Tq, D] and k/v [B, Hkv, Tk, D]; got {Shapes()}.");
        if (!k.Shape.SequenceEqual(v.Shape)) throw new ArgumentException($"Attention: k and v shapes differ: {Shapes()}.");
        if (k.Size(0) != q.Size(0) || k.Size(3) != q.Size(3)) throw new ArgumentException($"Attention: batch or head_dim of k/v differ from q: {Shapes()}.");
        if (k.Size(1) == 0 || q.Size(1) % k.Size(1) != 0) throw new ArgumentException($"Attention: Hq must be a multiple of Hkv: {Shapes()}.");
        if (keyMask is not null)
        {
            if (keyMask.DType is not (DType.U8 or DType.I32 or DType.I64)) throw new ArgumentException($"Attention: keyMask must be U8, I32 or I64, got {keyMask.DType}.");
            if (keyMask.Rank != 2 || keyMask.Size(0) != q.Size(0) || keyMask.Size(1) != k.Size(2))
                throw new ArgumentException($"Attention: keyMask must be [B, Tk] = [{q.Size(0)}, {k.Size(2)}]: {Shapes()}.");
        }
    }
}
