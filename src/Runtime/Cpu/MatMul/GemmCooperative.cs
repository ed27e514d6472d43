using System.Runtime.CompilerServices;

namespace Engine.Runtime.Cpu;

/// <summary>
/// What a cooperative GEMM needs from one element type and kernel: pack A rows, pack a column slice of a B block, and
/// multiply packed rows by a packed block into C. A struct holding the operands (A, B, C, alpha, beta), so
/// <see cref="GemmCooperative"/> is specialised per implementation and no delegate call lands in the loops.
/// </summary>
/// <typeparam name="TP">The packed element (f32/f64 values, or bf16 k-pairs as uint).</typeparam>
internal unsafe interface ICoopGemm<TP> where TP : unmanaged
{
    static abstract int MR { get; }
    static abstract int NR { get; }

    /// <summary>Packed elements per column (per row of A) for a K block of kc: kc, or kc/2 rounded up for bf16 pairs.</summary>
    static abstract int Depth(int kc);

    /// <summary>Bytes of scratch for one MR×NR edge tile of C.</summary>
    static abstract int TileBytes { get; }

    /// <summary>Rows [i0, i0 + mc) of op(A), depth [pc, pc + kc), into MR-row panels at ap.</summary>
    void PackA(int i0, int mc, int pc, int kc, TP* ap);

    /// <summary>Columns [j0, j0 + nc) of op(B), depth [pc, pc + kc), into NR-column panels at dst.</summary>
    void PackB(int pc, int kc, int j0, int nc, TP* dst);

    /// <summary>C[i0.., jc..] (mc × nc) = alpha·Ã·B̃ + (firstK ? beta : 1)·C: every tile of the packed A rows times the packed B block.</summary>
    void Multiply(TP* ap, int mc, TP* bp, int nc, int kc, int i0, int jc, bool firstK, byte* tile);
}

/// <summary>
/// Row split with one packed B block shared by all threads, for any <see cref="ICoopGemm{TP}"/>: each thread packs a
/// slice of every KC×NC block of B into a shared double buffer, waits at the barrier, then multiplies its own rows by
/// the whole block. Each thread packing all of B itself doubled B's packing on 2 threads. Rows and B slices are fixed
/// by the shape and the thread count, and every element sums the same K blocks in the same order as the single-thread
/// loop, so the bytes do not depend on the thread count.
/// </summary>
internal static unsafe class GemmCooperative
{
    /// <summary>C = op(A)·op(B) on t threads in K blocks of KC and N blocks of NC; false, running nothing, if the workers are busy elsewhere.</summary>
    public static bool TryRun<TP, TOps>(TOps ops, int m, int n, int k, int KC, int NC, int t)
        where TP : unmanaged
        where TOps : struct, ICoopGemm<TP>
    {
        int mr = TOps.MR, nr = TOps.NR, mUnits = (m + mr - 1) / mr;
        long bufElems = (long)TOps.Depth(KC) * ((NC + nr - 1) / nr * nr);
        TP* shared = GemmScratch.B<TP>(2 * bufElems); // the caller's B scratch: no thread packs privately in this mode
        var barrier = new GemmBarrier(t);
        return GemmWorkers.TryRun(t, w =>
        {
            int lo = Math.Min(m, (int)((long)mUnits * w / t) * mr);
            int hi = Math.Min(m, (int)((long)mUnits * (w + 1) / t) * mr);
            Rows<TP, TOps>(ops, w, t, lo, hi, n, k, shared, bufElems, KC, NC, barrier);
        });
    }

    /// <summary>
    /// One thread's rows [i0, i1). Double buffering needs one barrier per block: a thread can only refill a buffer after
    /// passing the next barrier, which every thread reaches only once done with that buffer. A thread with no rows still
    /// packs its slices and waits, so the barrier counts stay equal.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<TP, TOps>(TOps ops, int w, int t, int i0, int i1, int n, int k, TP* shared, long bufElems, int KC, int NC, GemmBarrier barrier)
        where TP : unmanaged
        where TOps : struct, ICoopGemm<TP>
    {
        int mr = TOps.MR, nr = TOps.NR, mc = i1 - i0;
        TP* ap = GemmScratch.A<TP>((long)Math.Max(mr, (mc + mr - 1) / mr * mr) * TOps.Depth(KC));
        byte* tile = stackalloc byte[TOps.TileBytes];
        int sense = 0, step = 0;
        try
        {
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc), depth = TOps.Depth(kc);
                if (mc > 0) ops.PackA(i0, mc, pc, kc, ap);
                for (int jc = 0; jc < n; jc += NC, step++)
                {
                    int nc = Math.Min(NC, n - jc);
                    TP* bp = shared + (step & 1) * bufElems;
                    int panels = (nc + nr - 1) / nr;
                    int s = panels * w / t * nr, e = Math.Min(nc, panels * (w + 1) / t * nr);
                    if (s < e) ops.PackB(pc, kc, jc + s, e - s, bp + (long)s * depth);
                    barrier.Wait(ref sense);
                    if (mc > 0) ops.Multiply(ap, mc, bp, nc, kc, i0, jc, pc == 0, tile);
                }
            }
        }
        catch
        {
            barrier.Break();
            throw;
        }
    }
}
