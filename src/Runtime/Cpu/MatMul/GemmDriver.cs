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
        int KC = GemmBlocking.Balanced(k, bl.KC), NC = GemmBlocking.Balanced(n, bl.NC, TK.NR);
        var ops = new CoopOps<T, TK, TB>(transA, a, lda, b, alpha, beta, c, ldc);
        return GemmCooperative.TryRun<T, CoopOps<T, TK, TB>>(ops, m, n, k, KC, NC, t);
    }

    /// <summary>This driver's packing and tiles for <see cref="GemmCooperative"/>.</summary>
    private readonly struct CoopOps<T, TK, TB>(bool transA, T* a, int lda, TB b, T alpha, T beta, T* c, int ldc) : ICoopGemm<T>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TK : IGemmKernel<T>
        where TB : struct, IGemmBSource<T>
    {
        public static int MR => TK.MR;
        public static int NR => TK.NR;
        public static int Depth(int kc) => kc;
        public static int TileBytes => TK.MR * TK.NR * sizeof(T);

        public void PackA(int i0, int mc, int pc, int kc, T* ap) => GemmPackA.Pack(transA, a, lda, i0, mc, pc, kc, TK.MR, ap);

        public void PackB(int pc, int kc, int j0, int nc, T* dst) => b.Pack(pc, kc, j0, nc, TK.NR, dst);

        public void Multiply(T* ap, int mc, T* bp, int nc, int kc, int i0, int jc, bool firstK, byte* tile)
            => Tiles<T, TK>(ap, mc, bp, nc, kc, c + (long)i0 * ldc + jc, ldc, alpha, firstK ? beta : T.One, (T*)tile);
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

    /// <summary>Whether short last row panels take GemmKernelAvx512Edge (tests compare both ways; the bytes must agree).</summary>
    internal static bool EdgeKernel = true;

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
                    // Edge tile: the tile into scratch, then merge only the valid rows×cols. A short last row panel of the
                    // AVX-512 kernel skips its padding rows (same bytes: GemmKernelAvx512Edge).
                    if (typeof(TK) == typeof(GemmKernelAvx512<T>) && rows <= 8 && EdgeKernel)
                        GemmKernelAvx512Edge.Run(rows, kc, apan, bpan, tmp, nr, alpha);
                    else
                        TK.Run(kc, apan, bpan, tmp, nr, alpha, T.Zero);
                    Merge(tmp, nr, crow + jr, ldc, rows, cols, betaEff);
                }
            }
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
