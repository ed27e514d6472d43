namespace Engine.Runtime.Cuda;

/// <summary>
/// Attention on CUDA. bf16 q/k/v with head dim 64 or 128 run the flash kernels (kernels/attention_flash.cu: bf16
/// tensor-core MMA with f32 accumulation; bf16 output, f32 log-sum-exp); f32 runs the straightforward f32 kernels
/// (kernels/attention.cu); bf16 with any other head dim runs those f32 kernels on f32 copies. Twins of Cpu/Attention.
/// Both backward paths are deterministic (no atomics): dK/dV are summed over the GQA group inside one CTA.
/// </summary>
public sealed unsafe partial class CudaBackend
{
    /// <summary>Head dims with a flash (tensor-core) kernel.</summary>
    public static bool IsFlashHeadDim(int d) => d is 64 or 128;

    public bool HasNativeAttention(DType dtype, int headDim) => dtype == DType.F32 ? headDim <= 256 : dtype == DType.BF16 && IsFlashHeadDim(headDim);

    public (Tensor o, Tensor lse) AttentionForward(Tensor q, Tensor k, Tensor v, Tensor? keyMask, bool causal, double scale)
    {
        CheckAttentionInputs("Attention", q, k, v, keyMask);
        if (q.DType == DType.F32) return AttentionForwardF32(q, k, v, keyMask, causal, scale);
        if (IsFlashHeadDim(q.Size(3))) return FlashAttentionForward(q, k, v, keyMask, causal, scale);
        var (o, lse) = AttentionForwardF32(DenseF32("Attention", q), DenseF32("Attention", k), DenseF32("Attention", v), keyMask, causal, scale);
        return (Cast(o, DType.BF16), lse);
    }

    /// <summary>Gradients in the dtype of q/k/v (bf16 grads are rounded once from f32 sums; see <see cref="AttentionBackwardF32Grads"/>).</summary>
    public (Tensor dq, Tensor dk, Tensor dv) AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Tensor dO, Tensor? keyMask, bool causal, double scale)
    {
        CheckAttentionInputs("AttentionBackward", q, k, v, keyMask);
        if (q.DType == DType.F32)
        {
            RequireF32("AttentionBackward", o, lse, dO);
            return AttentionBackwardF32(q, k, v, o, lse, dO, keyMask, causal, scale);
        }
        var (dq, dk, dv) = AttentionBackwardF32Grads(q, k, v, o, lse, dO, keyMask, causal, scale);
        return (Cast(dq, DType.BF16), Cast(dk, DType.BF16), Cast(dv, DType.BF16));
    }

    /// <summary>
    /// bf16 attention backward with f32 gradients (dk/dv already summed over each GQA group in f32): for a
    /// mixed-precision training step that keeps f32 master gradients. q/k/v bf16; o and dO bf16 or f32; lse f32 or bf16.
    /// </summary>
    public (Tensor dq, Tensor dk, Tensor dv) AttentionBackwardF32Grads(Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Tensor dO, Tensor? keyMask, bool causal, double scale)
    {
        CheckAttentionInputs("AttentionBackward", q, k, v, keyMask);
        if (q.DType != DType.BF16) throw Missing("AttentionBackwardF32Grads", $"dtype {q.DType}; bf16 q/k/v expected");
        if (IsFlashHeadDim(q.Size(3))) return FlashAttentionBackward(q, k, v, o, lse, dO, keyMask, causal, scale);
        return AttentionBackwardF32(DenseF32("AttentionBackward", q), DenseF32("AttentionBackward", k), DenseF32("AttentionBackward", v),
            DenseF32("AttentionBackward", o), DenseF32("AttentionBackward", lse), DenseF32("AttentionBackward", dO), keyMask, causal, scale);
    }

    private static void CheckAttentionInputs(string op, Tensor q, Tensor k, Tensor v, Tensor? keyMask)
    {
        if (q.DType != k.DType || q.DType != v.DType || q.DType is not (DType.F32 or DType.BF16))
            throw Missing(op, $"q/k/v dtypes {q.DType}/{k.DType}/{v.DType}; all F32 or all BF16 are supported");
        if (q.Strides[3] != 1 || k.Strides[3] != 1 || v.Strides[3] != 1) throw Missing(op, "q/k/v need unit stride in the head dim");
        if (keyMask is not null && keyMask.DType != DType.I64) throw Missing(op, "key mask must be I64 on CUDA");
    }

    /// <summary>A dense f32 copy (bf16 → f32 casts read the buffer linearly, and strided bf16 copies have no kernel yet).</summary>
    private Tensor DenseF32(string op, Tensor t)
    {
        if (t.DType == DType.F32) return t.Contiguous();
        if (!t.IsContiguous) throw Missing(op, $"strided {t.DType} {t.ShapeString} outside the flash head dims 64/128; make it contiguous first");
        return Cast(t, DType.F32);
    }

    // ---- flash (bf16 tensor cores) ----

    /// <summary>16-byte vector loads are legal for rows of t: aligned base and every outer stride a multiple of 8 elements.</summary>
    private static bool Rows16(Tensor t) => Addr(t) % 16 == 0 && t.Strides[0] % 8 == 0 && t.Strides[1] % 8 == 0 && t.Strides[2] % 8 == 0;

    private (Tensor o, Tensor lse) FlashAttentionForward(Tensor q, Tensor k, Tensor v, Tensor? keyMask, bool causal, double scale)
    {
        int b = q.Size(0), hq = q.Size(1), tq = q.Size(2), d = q.Size(3), hkv = k.Size(1), tk = k.Size(2);
        var o = New([b, hq, tq, d], DType.BF16);
        var lse = New([b, hq, tq], DType.F32);
        if ((long)b * hq * tq == 0) return (o, lse);
        var mask = POrNull(keyMask?.Contiguous());
        int vec = (Rows16(k) ? 2 : 0) | (Rows16(v) ? 4 : 0);
        var grid = Grid.Blocks((tq + 63) / 64, (uint)hq, (uint)b);
        if (d == 64)
            AttentionFlashKernels.FlashAttnFwdBf16D64(S, grid, P(q), P(k), P(v), mask, P(o), P(lse), tq, tk, hq, hkv,
                q.Strides[0], q.Strides[1], q.Strides[2], k.Strides[0], k.Strides[1], k.Strides[2], v.Strides[0], v.Strides[1], v.Strides[2],
                causal ? 1 : 0, (float)scale, vec);
        else
            AttentionFlashKernels.FlashAttnFwdBf16D128(S, grid, P(q), P(k), P(v), mask, P(o), P(lse), tq, tk, hq, hkv,
                q.Strides[0], q.Strides[1], q.Strides[2], k.Strides[0], k.Strides[1], k.Strides[2], v.Strides[0], v.Strides[1], v.Strides[2],
                causal ? 1 : 0, (float)scale, vec);
        return (o, lse);
    }

    private (Tensor dq, Tensor dk, Tensor dv) FlashAttentionBackward(Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Tensor dO, Tensor? keyMask, bool causal, double scale)
    {
        int b = q.Size(0), hq = q.Size(1), tq = q.Size(2), d = q.Size(3), hkv = k.Size(1), tk = k.Size(2);
        // The forward's own outputs are bf16 o and f32 lse; accept the other float types by converting once.
        var ob = o.DType == DType.BF16 ? o.Contiguous() : Cast(o.Contiguous(), DType.BF16);
        var lsef = lse.DType == DType.F32 ? lse.Contiguous() : Cast(lse.Contiguous(), DType.F32);
        var dob = dO.DType == DType.BF16 ? dO : Cast(dO.Contiguous(), DType.BF16);
        if (dob.Strides[3] != 1) throw Missing("AttentionBackward", "dO needs unit stride in the head dim");
        var dq = New([b, hq, tq, d], DType.F32);
        var dk = New([b, hkv, tk, d], DType.F32);
        var dv = New([b, hkv, tk, d], DType.F32);
        long rows = (long)b * hq * tq;
        if (rows == 0) // no query: zero key/value gradients
            return (dq, Tensor.Zeros(dk.Shape, DType.F32, dk.Device), Tensor.Zeros(dv.Shape, DType.F32, dv.Device));
        var delta = New([b, hq, tq], DType.F32);
        // One warp per row: 4 rows per 128-thread block.
        AttentionFlashKernels.FlashAttnBwdDeltaBf16(S, Grid.Blocks((rows + 3) / 4), P(ob), P(dob), P(delta), tq, hq, d, dob.Strides[0], dob.Strides[1], dob.Strides[2], rows);
        var mask = POrNull(keyMask?.Contiguous());
        int vec = (Rows16(q) ? 1 : 0) | (Rows16(k) ? 2 : 0) | (Rows16(v) ? 4 : 0) | (Rows16(dob) ? 8 : 0);
        ReadOnlySpan<long> qs = q.Strides, ks = k.Strides, vs = v.Strides, ds = dob.Strides;
        var kvGrid = Grid.Blocks((tk + 63) / 64, (uint)hkv, (uint)b);
        var qGrid = Grid.Blocks((tq + 63) / 64, (uint)hq, (uint)b);
        if (d == 64)
        {
            if (tk > 0)
                AttentionFlashKernels.FlashAttnBwdDkdvBf16D64(S, kvGrid, P(q), P(k), P(v), P(dob), P(lsef), P(delta), mask, tq, tk, hq, hkv,
                    qs[0], qs[1], qs[2], ks[0], ks[1], ks[2], vs[0], vs[1], vs[2], ds[0], ds[1], ds[2], causal ? 1 : 0, (float)scale, vec, P(dk), P(dv));
            AttentionFlashKernels.FlashAttnBwdDqBf16D64(S, qGrid, P(q), P(k), P(v), P(dob), P(lsef), P(delta), mask, tq, tk, hq, hkv,
                qs[0], qs[1], qs[2], ks[0], ks[1], ks[2], vs[0], vs[1], vs[2], ds[0], ds[1], ds[2], causal ? 1 : 0, (float)scale, vec, P(dq));
        }
        else
        {
            if (tk > 0)
                AttentionFlashKernels.FlashAttnBwdDkdvBf16D128(S, kvGrid, P(q), P(k), P(v), P(dob), P(lsef), P(delta), mask, tq, tk, hq, hkv,
                    qs[0], qs[1], qs[2], ks[0], ks[1], ks[2], vs[0], vs[1], vs[2], ds[0], ds[1], ds[2], causal ? 1 : 0, (float)scale, vec, P(dk), P(dv));
            AttentionFlashKernels.FlashAttnBwdDqBf16D128(S, qGrid, P(q), P(k), P(v), P(dob), P(lsef), P(delta), mask, tq, tk, hq, hkv,
                qs[0], qs[1], qs[2], ks[0], ks[1], ks[2], vs[0], vs[1], vs[2], ds[0], ds[1], ds[2], causal ? 1 : 0, (float)scale, vec, P(dq));
        }
        return (dq, dk, dv);
    }

    // ---- f32 (straightforward kernels, any head dim ≤ 256) ----

    private (Tensor o, Tensor lse) AttentionForwardF32(Tensor q, Tensor k, Tensor v, Tensor? keyMask, bool causal, double scale)
    {
        RequireF32("Attention", q, k, v);
        int b = q.Size(0), hq = q.Size(1), tq = q.Size(2), d = q.Size(3), hkv = k.Size(1), tk = k.Size(2);
        if (d > 256) throw Missing("Attention", $"head dim {d} > 256");
        if (q.Strides[3] != 1 || k.Strides[3] != 1 || v.Strides[3] != 1) throw Missing("Attention", "q/k/v need unit stride in the head dim");
        if (keyMask is not null && keyMask.DType != DType.I64) throw Missing("Attention", "key mask must be I64 on CUDA");
        var o = New([b, hq, tq, d], DType.F32);
        var lse = New([b, hq, tq], DType.F32);
        if ((long)b * hq * tq == 0) return (o, lse);
        AttentionKernels.AttentionFwdF32(S, Grid.Blocks(tq, (uint)hq, (uint)b), P(q), P(k), P(v), POrNull(keyMask?.Contiguous()), P(o), P(lse), tq, tk, d, hq, hkv,
            q.Strides[0], q.Strides[1], q.Strides[2], k.Strides[0], k.Strides[1], k.Strides[2], v.Strides[0], v.Strides[1], v.Strides[2],
            causal ? 1 : 0, (float)scale);
        return (o, lse);
    }

    private (Tensor dq, Tensor dk, Tensor dv) AttentionBackwardF32(Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Tensor dO, Tensor? keyMask, bool causal, double scale)
    {
        RequireF32("AttentionBackward", q, k, v, o, lse, dO);
        int b = q.Size(0), hq = q.Size(1), tq = q.Size(2), d = q.Size(3), hkv = k.Size(1), tk = k.Size(2);
        if (d > 256) throw Missing("AttentionBackward", $"head dim {d} > 256");
        if (keyMask is not null && keyMask.DType != DType.I64) throw Missing("AttentionBackward", "key mask must be I64 on CUDA");
        var oc = o.Contiguous(); var doc = dO.Contiguous();
        var delta = New([b, hq, tq], DType.F32);
        var dq = New([b, hq, tq, d], DType.F32);
        var dk = New([b, hkv, tk, d], DType.F32);
        var dv = New([b, hkv, tk, d], DType.F32);
        long rows = (long)b * hq * tq;
        if (rows == 0) return (dq, Tensor.Zeros(dk.Shape, DType.F32, dk.Device), Tensor.Zeros(dv.Shape, DType.F32, dv.Device));
        AttentionKernels.AttentionDeltaF32(S, Grid.Blocks(rows), P(oc), P(doc), P(delta), rows, d);
        var mask = POrNull(keyMask?.Contiguous());
        ReadOnlySpan<long> qs = q.Strides, ks = k.Strides, vs = v.Strides;
        AttentionKernels.AttentionBwdDqF32(S, Grid.Blocks(tq, (uint)hq, (uint)b), P(q), P(k), P(v), P(doc), P(lse), P(delta), mask, P(dq),
            tq, tk, d, hq, hkv, qs[0], qs[1], qs[2], ks[0], ks[1], ks[2], vs[0], vs[1], vs[2], causal ? 1 : 0, (float)scale);
        if (tk > 0)
            AttentionKernels.AttentionBwdDkdvF32(S, Grid.Blocks(tk, (uint)hkv, (uint)b), P(q), P(k), P(v), P(doc), P(lse), P(delta), mask, P(dk), P(dv),
                tq, tk, d, hq, hkv, qs[0], qs[1], qs[2], ks[0], ks[1], ks[2], vs[0], vs[1], vs[2], causal ? 1 : 0, (float)scale);
        return (dq, dk, dv);
    }
}
