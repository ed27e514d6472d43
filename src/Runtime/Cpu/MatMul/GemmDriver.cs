using System.Numerics;
using System.Runtime.CompilerServices;

namespace Engine.Runtime.Cpu;

/// <summary>
/// The packed, cache-blocked GEMM: loops ic (MC) → pc (KC, pack A) → jc (NC, pack B) → ir (MR) → jr (NR) → microkernel.
/// Threads split the rows of C; each packs its own B block so that block lands in its own core's L2, and no barriers
/// are needed (the duplicated B packing is O(k·n) against O(m·n·k/threads) math).
/// The loops and packing are AggressiveOptimization, like the microkernel: under tiered compilation they would run
/// unoptimised (tier 0) for the first ~100 ms of a process, which made the first few hundred small GEMMs (a 256³
/// product is 0.2 ms) about 25 % slower, in benchmarks and in short runs alike.
/// </summary>
internal static unsafe class GemmDriver
{
    /// <summary>Below this many multiply-adds per thread, a fork costs more than it saves.</summary>
    private const long MinWorkPerThread = 1L << 20;

    public static void Run<T, TK, TB>(bool transA, int m, int n, int k, T alpha, T* a, int lda, TB b, T beta, T* c, int ldc, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TK : IGemmKernel<T>
        where TB : struct, IGemmBSource<T>
    {
        int mr = TK.MR, nr = TK.NR;
        long work = (long)m * n * k;
        threads = (int)Math.Clamp(work / MinWorkPerThread, 1, Math.Max(1, threads));
        int mUnits = (m + mr - 1) / mr, nUnits = (n + nr - 1) / nr;
        if (threads > 1 && mUnits < 2 * threads && nUnits < 2 * threads) threads = 1;
        if (threads <= 1)
        {
            Block<T, TK, TB>(transA, 0, m, 0, n, k, alpha, a, lda, b, beta, c, ldc);
            return;
        }

        // Split rows when there are enough MR panels, else columns (short-and-wide C).
        bool splitRows = mUnits >= 2 * threads;
        var bl = GemmBlocking.Of<T>(mr, nr);
        if (splitRows && (mUnits + threads - 1) / threads * mr <= bl.MC && Cooperative<T, TK, TB>(transA, m, n, k, alpha, a, lda, b, beta, c, ldc, threads, bl))
            return;
        int units = splitRows ? mUnits : nUnits, unit = splitRows ? mr : nr, extent = splitRows ? m : n;
        int t = threads;
        GemmWorkers.Run(t, w =>
        {
            int lo = Math.Min(extent, (int)((long)units * w / t) * unit);
            int hi = Math.Min(extent, (int)((long)units * (w + 1) / t) * unit);
            if (lo >= hi) return;
            if (splitRows) Block<T, TK, TB>(transA, lo, hi, 0, n, k, alpha, a, lda, b, beta, c, ldc);
            else Block<T, TK, TB>(transA, 0, m, lo, hi, k, alpha, a, lda, b, beta, c, ldc);
        });
    }

    /// <summary>Row split with one shared packed B (no duplicated B packing); false if the workers are busy elsewhere.</summary>
    private static bool Cooperative<T, TK, TB>(bool transA, int m, int n, int k, T alpha, T* a, int lda, TB b, T beta, T* c, int ldc, int t, GemmBlocking bl)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TK : IGemmKernel<T>
        where TB : struct, IGemmBSource<T>
    {
        int mr = TK.MR, nr = TK.NR, mUnits = (m + mr - 1) / mr;
        int KC = GemmBlocking.Balanced(k, bl.KC), NC = GemmBlocking.Balanced(n, bl.NC, nr);
        long bufElems = (long)KC * ((NC + nr - 1) / nr * nr);
        T* shared = GemmScratch.B<T>(2 * bufElems); // the caller's B scratch: no thread packs privately in this mode
        var barrier = new GemmBarrier(t);
        return GemmWorkers.TryRun(t, w =>
        {
            int lo = Math.Min(m, (int)((long)mUnits * w / t) * mr);
            int hi = Math.Min(m, (int)((long)mUnits * (w + 1) / t) * mr);
            CoopBlock<T, TK, TB>(w, t, transA, lo, hi, n, k, alpha, a, lda, b, beta, c, ldc, shared, bufElems, KC, NC, barrier);
        });
    }

    /// <summary>C[i0..i1, j0..j1] on the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block<T, TK, TB>(bool transA, int i0, int i1, int j0, int j1, int k, T alpha, T* a, int lda, TB b, T beta, T* c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TK : IGemmKernel<T>
        where TB : struct, IGemmBSource<T>
    {
        int mr = TK.MR, nr = TK.NR;
        var bl = GemmBlocking.Of<T>(mr, nr);
        int KC = GemmBlocking.Balanced(k, bl.KC);
        int NC = GemmBlocking.Balanced(j1 - j0, bl.NC, nr);
        int MC = GemmBlocking.Balanced(i1 - i0, bl.MC, mr);
        T* bp = GemmScratch.B<T>((long)KC * NC);
        T* ap = GemmScratch.A<T>((long)MC * KC);
        T* tmp = stackalloc T[mr * nr];

        // A is packed once per (MC, KC) block and reused for every NC block; B is packed once per (MC, KC, NC) block.
        for (int ic = i0; ic < i1; ic += MC)
        {
            int mc = Math.Min(MC, i1 - ic);
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                T betaEff = pc == 0 ? beta : T.One; // later K blocks accumulate onto the first
                GemmPackA.Pack(transA, a, lda, ic, mc, pc, kc, mr, ap);
                for (int jc = j0; jc < j1; jc += NC)
                {
                    int nc = Math.Min(NC, j1 - jc);
                    b.Pack(pc, kc, jc, nc, nr, bp);
                    Tiles<T, TK>(ap, mc, bp, nc, kc, c + (long)ic * ldc + jc, ldc, alpha, betaEff, tmp);
                }
            }
        }
    }

    /// <summary>All MR×NR tiles of one packed A block (mc rows) times one packed B block (nc columns).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tiles<T, TK>(T* ap, int mc, T* bp, int nc, int kc, T* c, int ldc, T alpha, T betaEff, T* tmp)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TK : IGemmKernel<T>
    {
        int mr = TK.MR, nr = TK.NR;
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            T* apan = ap + (long)ir * kc;
            T* crow = c + (long)ir * ldc;
            for (int jr = 0; jr < nc; jr += nr)
            {
                int cols = Math.Min(nr, nc - jr);
                T* bpan = bp + (long)jr * kc;
                if (rows == mr && cols == nr)
                    TK.Run(kc, apan, bpan, crow + jr, ldc, alpha, betaEff);
                else
                {
                    // Edge tile: full tile into scratch, then merge only the valid rows×cols.
                    TK.Run(kc, apan, bpan, tmp, nr, alpha, T.Zero);
                    Merge(tmp, nr, crow + jr, ldc, rows, cols, betaEff);
                }
            }
        }
    }

    /// <summary>
    /// One thread's rows [i0, i1) of a cooperative GEMM: all threads walk the same KC×NC blocks, each packs a slice of
    /// every B block into a shared double buffer, waits at the barrier, then multiplies its own rows by the whole block.
    /// Double buffering needs one barrier per block: a thread can only refill a buffer after passing the next barrier,
    /// which every thread reaches only once done with that buffer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CoopBlock<T, TK, TB>(int w, int t, bool transA, int i0, int i1, int n, int k, T alpha, T* a, int lda, TB b, T beta,
        T* c, int ldc, T* shared, long bufElems, int KC, int NC, GemmBarrier barrier)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TK : IGemmKernel<T>
        where TB : struct, IGemmBSource<T>
    {
        int mr = TK.MR, nr = TK.NR, mc = i1 - i0;
        T* ap = GemmScratch.A<T>((long)Math.Max(mr, (mc + mr - 1) / mr * mr) * KC);
        T* tmp = stackalloc T[mr * nr];
        int sense = 0, step = 0;
        try
        {
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                T betaEff = pc == 0 ? beta : T.One;
                if (mc > 0) GemmPackA.Pack(transA, a, lda, i0, mc, pc, kc, mr, ap);
                for (int jc = 0; jc < n; jc += NC, step++)
                {
                    int nc = Math.Min(NC, n - jc);
                    T* bp = shared + (step & 1) * bufElems;
                    int panels = (nc + nr - 1) / nr;
                    int s = panels * w / t * nr, e = Math.Min(nc, panels * (w + 1) / t * nr);
                    if (s < e) b.Pack(pc, kc, jc + s, e - s, nr, bp + (long)s * kc);
                    barrier.Wait(ref sense);
                    if (mc > 0) Tiles<T, TK>(ap, mc, bp, nc, kc, c + (long)i0 * ldc + jc, ldc, alpha, betaEff, tmp);
                }
            }
        }
        catch
        {
            barrier.Break();
            throw;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Merge<T>(T* tile, int ldt, T* c, int ldc, int rows, int cols, T beta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows; i++)
        {
            T* ci = c + (long)i * ldc, ti = tile + (long)i * ldt;
            if (beta == T.Zero) for (int j = 0; j < cols; j++) ci[j] = ti[j];
            else for (int j = 0; j < cols; j++) ci[j] = ti[j] + beta * ci[j];
        }
    }
}
