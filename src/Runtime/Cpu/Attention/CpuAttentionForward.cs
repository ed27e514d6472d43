using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Flash-style attention forward: one task per (batch, query head, query tile); key tiles stream through
/// an online softmax (running max m and sum l per row), so no [Tq, Tk] matrix is ever stored. Key tiles
/// wholly hidden by the causal mask or by padding are skipped. Keeps only the log-sum-exp for backward.
/// </summary>
internal static unsafe class CpuAttentionForward
{
    /// <summary>
    /// Query rows per task. 48 = 4·12 = 8·6 (whole AVX-512 / AVX2 register-tile rows); under causal masking a task
    /// multiplies only up to its own last key, so half-width tiles halve the masked work computed on the diagonal.
    /// </summary>
    private const int RowsQ = 48;
    /// <summary>
    /// Keys per product: a whole row block of S (and of P·V) is one GEMM, so K and V are packed once per task and the
    /// softmax is one pass per row; longer key ranges stream through the online softmax in chunks of this many.
    /// </summary>
    private const int ChunkK = 512;

    /// <summary>
    /// Multiply-adds (scores and P·V) below which the tasks run on the calling thread: a batch-1 decode step (one query
    /// row per head) is a few µs of work per head, less than a Parallel.For costs, and on 2 cores the fork also met the
    /// GEMM workers still spinning from the previous matmul. Which thread runs a task never changes its bytes.
    /// </summary>
    private const long MinParallelWork = 1L << 21;

    private static bool SmallWork<T>(AttentionPlan<T> p) where T : unmanaged, IFloatingPointIeee754<T> =>
        2L * p.B * p.Hq * p.Tq * p.Tk * p.D < MinParallelWork;

    public static void Run<T>(AttentionPlan<T> p, HeadRows<T> q, HeadRows<T> k, HeadRows<T> v, T* o, T* lse)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int bq = RowsQ, bk = ChunkK;
        int d = p.D;
        int qTiles = (p.Tq + bq - 1) / bq;
        int tasks = p.B * p.Hq * qTiles;
        // Tasks run last query tile first: under causal masking those see the most keys, so the long tasks start early.
        CpuThreads.For(tasks, task =>
        {
            int bhN = p.B * p.Hq, qt = qTiles - 1 - task / bhN, bh = task % bhN, h = bh % p.Hq, b = bh / p.Hq, hk = h / p.Group;
            int i0 = qt * bq, mq = Math.Min(bq, p.Tq - i0);
            T* oTile = o + ((long)bh * p.Tq + i0) * d;
            T* lseTile = lse + (long)bh * p.Tq + i0;
            new Span<T>(oTile, mq * d).Clear();
            var s = (T*)NativeMemory.AlignedAlloc((nuint)(bq * bk * sizeof(T)), 64);
            Span<T> m = stackalloc T[bq], l = stackalloc T[bq], mt = stackalloc T[bq];
            try
            {
                m.Fill(T.NegativeInfinity); l.Clear();
                int kEnd = p.KeyEnd(i0, mq);
                T* qRow = q.Row(b, h, i0);
                for (int j0 = 0; j0 < kEnd; j0 += bk)
                {
                    int nk = Math.Min(bk, kEnd - j0);
                    if (!p.AnyVisible(b, j0, nk)) continue;
                    int ld = nk; // dense rows: the exp below runs over exactly mq·nk values
                    p.Scores(qRow, q.St, k.Row(b, hk, j0), k.St, b, i0, mq, j0, nk, s, ld);
                    // Row max and shift, then one exp over the whole tile (long vector runs, few calls), then sums.
                    bool any = false;
                    for (int r = 0; r < mq; r++)
                    {
                        var row = new Span<T>(s + r * ld, nk);
                        var mNew = T.Max(m[r], TensorPrimitives.Max<T>(row));
                        mt[r] = mNew;
                        if (T.IsNegativeInfinity(mNew)) continue; // nothing visible yet: the row stays −inf and exp makes it 0
                        any = true;
                        TensorPrimitives.Subtract(row, mNew, row);
                    }
                    var tile = new Span<T>(s, mq * nk);
                    TensorPrimitives.Exp(tile, tile);
                    for (int r = 0; r < mq; r++)
                    {
                        if (T.IsNegativeInfinity(mt[r])) continue;
                        var alpha = T.Exp(m[r] - mt[r]);
                        l[r] = l[r] * alpha + CpuReduce.Sum(new ReadOnlySpan<T>(s + r * ld, nk));
                        m[r] = mt[r];
                        if (alpha != T.One) { var orow = new Span<T>(oTile + r * d, d); TensorPrimitives.Multiply(orow, alpha, orow); }
                    }
                    if (any) Gemm.Run(false, false, mq, d, nk, T.One, s, ld, v.Row(b, hk, j0), v.St, T.One, oTile, d, threads: 1);
                }
                for (int r = 0; r < mq; r++)
                {
                    var orow = new Span<T>(oTile + r * d, d);
                    if (l[r] > T.Zero) { TensorPrimitives.Multiply(orow, T.One / l[r], orow); lseTile[r] = m[r] + T.Log(l[r]); }
                    else { orow.Clear(); lseTile[r] = T.PositiveInfinity; } // no visible key: zeros, and backward sees p = 0
                }
            }
            finally { NativeMemory.AlignedFree(s); }
        }, minPerThread: SmallWork(p) ? tasks : 1);
    }
}
