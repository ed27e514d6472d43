using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Flash-style attention backward. Probabilities are recomputed tile by tile from the saved log-sum-exp, in key-major
/// (transposed) tiles so that the products are plain NN/NT GEMMs (dQ uses a query-major copy of dSᵀ):
/// P = exp(S − lse), dV += Pᵀ·dO, dP = dO·Vᵀ, dS = P∘(dP − δ) with δ = rowsum(dO∘O), dQ += scale·dS·K,
/// dK += scale·dSᵀ·Q.
///
/// Determinism without atomics: a task owns (batch, kv head, a fixed set of key tiles). It alone writes
/// those dK/dV rows, looping over every query head of the GQA group. dQ contributions from different key
/// sets go to separate partial buffers that are summed in a fixed order afterwards. The number of key
/// sets depends only on the shapes, so results are bit-identical for any thread count.
/// </summary>
internal static unsafe class CpuAttentionBackward
{
    /// <summary>Aim for about this many independent tasks (B·Hkv·sets). Each extra key set costs a full dQ partial buffer
    /// (clear + reduce), so the target is modest: 32 measured 6.85 ms, 8 measured 6.44 ms for the bench shape on 2 cores.</summary>
    private const int TargetTasks = 8;
    /// <summary>
    /// Keys per tile. 48 = 4·12 = 8·6 (whole AVX-512 / AVX2 register-tile rows); under causal masking a key tile is
    /// multiplied only against the queries from its first key on, so half-width tiles halve the masked work on the diagonal.
    /// </summary>
    private const int RowsK = 48;
    /// <summary>Queries per product: all the queries a key tile meets are one GEMM each (operands packed once) up to this many.</summary>
    private const int ChunkQ = 512;

    public static void Run<T>(AttentionPlan<T> p, HeadRows<T> q, HeadRows<T> k, HeadRows<T> v, T* o, T* lse, HeadRows<T> dO,
        T* dq, T* dk, T* dv) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int bk = RowsK, cq = ChunkQ;
        int d = p.D;
        long qElems = (long)p.B * p.Hq * p.Tq * d;
        // δ_i = Σ_d dO∘O (O is the contiguous forward output).
        var delta = (T*)NativeMemory.AlignedAlloc((nuint)(Math.Max(1L, (long)p.B * p.Hq * p.Tq) * sizeof(T)), 64);
        int kTiles = (p.Tk + bk - 1) / bk;
        int sets = Math.Clamp((TargetTasks + p.B * p.Hkv - 1) / (p.B * p.Hkv), 1, Math.Max(1, kTiles));
        // Set 0 accumulates straight into dq; sets 1.. get partial buffers (extra[c − 1]).
        T* extra = sets == 1 ? null : (T*)NativeMemory.AlignedAlloc((nuint)((sets - 1) * qElems * sizeof(T)), 64);
        try
        {
            CpuThreads.For(p.B * p.Hq, bh =>
            {
                int b = bh / p.Hq, h = bh % p.Hq;
                for (int i = 0; i < p.Tq; i++)
                    delta[(long)bh * p.Tq + i] = CpuReduce.Dot(new ReadOnlySpan<T>(dO.Row(b, h, i), d), new ReadOnlySpan<T>(o + ((long)bh * p.Tq + i) * d, d));
            });
            // dq, dk, dv and the partials are cleared inside the tasks that own them: the (fresh) pages then fault in
            // on both threads at once and are cache-warm when first accumulated into.

            CpuThreads.For(p.B * p.Hkv * sets, task =>
            {
                int set = task % sets, bhk = task / sets, b = bhk / p.Hkv, hk = bhk % p.Hkv;
                // Key-major tiles [nk × mq] (Pᵀ, then dPᵀ → dSᵀ): dV and dK are plain NN products; ds, a query-major copy
                // of dSᵀ, makes dQ += dS·K one too (the TN product ran at ~60 % speed).
                var pT = (T*)NativeMemory.AlignedAlloc((nuint)(3 * bk * cq * sizeof(T)), 64);
                T* dsT = pT + bk * cq, ds = dsT + bk * cq;
                T* negDelta = (T*)NativeMemory.AlignedAlloc((nuint)(cq * sizeof(T)), 64);
                T* dqBase = set == 0 ? dq : extra + (set - 1) * qElems;
                try
                {
                    // This task alone writes the dQ (partial) rows of its group's heads.
                    new Span<T>(dqBase + ((long)b * p.Hq + hk * p.Group) * p.Tq * d, checked(p.Group * p.Tq * d)).Clear();
                    for (int kt = 0; kt < kTiles; kt++)
                    {
                        if (SetOf(kt, sets) != set) continue;
                        int j0 = kt * bk, nk = Math.Min(bk, p.Tk - j0);
                        T* kRow = k.Row(b, hk, j0), vRow = v.Row(b, hk, j0);
                        T* dkTile = dk + (((long)b * p.Hkv + hk) * p.Tk + j0) * d;
                        T* dvTile = dv + (((long)b * p.Hkv + hk) * p.Tk + j0) * d;
                        new Span<T>(dkTile, nk * d).Clear();
                        new Span<T>(dvTile, nk * d).Clear();
                        if (!p.AnyVisible(b, j0, nk)) continue;
                        int iFirst = p.Causal ? Math.Max(0, j0 - p.Offset) : 0; // earlier queries cannot see this tile
                        for (int h = hk * p.Group; h < (hk + 1) * p.Group; h++)
                        {
                            long bh = (long)b * p.Hq + h;
                            for (int i0 = iFirst; i0 < p.Tq; i0 += cq)
                            {
                                int mq = Math.Min(cq, p.Tq - i0), ld = mq; // dense rows
                                T* qRow = q.Row(b, h, i0), doRow = dO.Row(b, h, i0);
                                T* lseRow = lse + bh * p.Tq + i0, deltaRow = delta + bh * p.Tq + i0;
                                ProbabilitiesT(p, qRow, q.St, kRow, k.St, lseRow, b, i0, mq, j0, nk, pT, ld);
                                Gemm.Run(false, false, nk, d, mq, T.One, pT, ld, doRow, dO.St, T.One, dvTile, d, threads: 1);
                                Gemm.Run(false, true, nk, mq, d, T.One, vRow, v.St, doRow, dO.St, T.Zero, dsT, ld, threads: 1);
                                var nd = new Span<T>(negDelta, mq);
                                TensorPrimitives.Negate(new ReadOnlySpan<T>(deltaRow, mq), nd);
                                for (int r = 0; r < nk; r++)
                                {
                                    // dSᵀ = (dPᵀ − δ) ∘ Pᵀ, one fused pass per key row
                                    var row = new Span<T>(dsT + r * ld, mq);
                                    TensorPrimitives.AddMultiply(row, nd, new ReadOnlySpan<T>(pT + r * ld, mq), row);
                                }
                                Gemm.Run(false, false, nk, d, mq, p.Scale, dsT, ld, qRow, q.St, T.One, dkTile, d, threads: 1);
                                GemmTranspose.Rows(dsT, ld, nk, mq, ds, nk);
                                Gemm.Run(false, false, mq, d, nk, p.Scale, ds, nk, kRow, k.St, T.One, dqBase + (bh * p.Tq + i0) * d, d, threads: 1);
                            }
                        }
                    }
                }
                finally { NativeMemory.AlignedFree(pT); NativeMemory.AlignedFree(negDelta); }
            });

            if (sets > 1)
            {
                // dq += Σ_{set ≥ 1} partial[set], summed in set order (fixed, so deterministic).
                const int chunk = 1 << 14;
                int chunks = (int)((qElems + chunk - 1) / chunk);
                CpuThreads.For(chunks, ci =>
                {
                    long s0 = (long)ci * chunk;
                    int n = (int)Math.Min(chunk, qElems - s0);
                    var dst = new Span<T>(dq + s0, n);
                    for (int c = 1; c < sets; c++) TensorPrimitives.Add(dst, new ReadOnlySpan<T>(extra + (c - 1) * qElems + s0, n), dst);
                });
            }
        }
        finally
        {
            NativeMemory.AlignedFree(delta);
            if (extra != null) NativeMemory.AlignedFree(extra);
        }
    }

    /// <summary>
    /// Pᵀ[r, c] = exp(scale·k_{j0+r}·q_{i0+c} − lse_{i0+c}) for a key tile × query range, key-major with row stride ld.
    /// Hidden pairs (padding key, or key after the causal limit of the query) are 0; queries with no visible key have lse = +inf, so 0 too.
    /// </summary>
    private static void ProbabilitiesT<T>(AttentionPlan<T> p, T* q, int ldq, T* k, int ldk, T* lseRow, int b, int i0, int mq, int j0, int nk, T* pT, int ld)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Gemm.Run(false, true, nk, mq, p.D, p.Scale, k, ldk, q, ldq, T.Zero, pT, ld, threads: 1);
        var lses = new ReadOnlySpan<T>(lseRow, mq);
        for (int r = 0; r < nk; r++) { var row = new Span<T>(pT + r * ld, mq); TensorPrimitives.Subtract(row, lses, row); }
        var tile = new Span<T>(pT, (nk - 1) * ld + mq);
        TensorPrimitives.Exp(tile, tile); // one call over the tile: long vector runs
        for (int r = 0; r < nk; r++)
        {
            int j = j0 + r;
            if (p.KeyBias is not null && T.IsNegativeInfinity(p.KeyBias[b * p.Tk + j])) { new Span<T>(pT + r * ld, mq).Clear(); continue; }
            if (p.Causal)
            {
                int hidden = Math.Min(mq, j - p.Offset - i0); // queries i < j − offset cannot see key j
                if (hidden > 0) new Span<T>(pT + r * ld, hidden).Clear();
            }
        }
    }

    /// <summary>Key tile → set, in a snake order (0,1,..,n−1,n−1,..,0,...) so causal work, which shrinks with the tile index, balances.</summary>
    private static int SetOf(int kt, int sets)
    {
        int round = kt / sets, pos = kt % sets;
        return round % 2 == 0 ? pos : sets - 1 - pos;
    }
}
