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
        var qv = UnitLastStride(q); var kv = UnitLastStride(k); var vv = UnitLastStride(v);
        double s = scale ?? 1.0 / Math.Sqrt(q.Size(3));
        var (o, lse) = be.AttentionForward(qv, kv, vv, keyMask, causal, s);
        return Autograd.Record(o, "Attention", [qv, kv, vv], g =>
        {
            var (dq, dk, dv) = be.AttentionBackward(qv, kv, vv, o, lse, UnitLastStride(g), keyMask, causal, s);
            return [qv.RequiresGrad ? dq : null, kv.RequiresGrad ? dk : null, vv.RequiresGrad ? dv : null];
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
