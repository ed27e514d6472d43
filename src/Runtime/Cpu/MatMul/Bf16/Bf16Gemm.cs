using System.Runtime.CompilerServices;

namespace Engine.Runtime.Cpu;

/// <summary>
/// bf16 × bf16 → f32 GEMM: C[m×n] = alpha·op(A)·op(B) + beta·C with A f32 activations rounded to bf16 (nearest even)
/// while packed, B bf16 weights, products exact and sums in f32 (Bf16Kernel). Same loop nest as the f32 driver
/// (MC → KC → pack A → NC → pack B → 12×32 tiles), with the same K blocks. Threads take a fixed share of C's rows (or, for short-and-wide C,
/// columns) decided only by the shape and the thread count (a row split shares each packed B block, Cooperative), and every element is summed over the same KC blocks in
/// the same order whatever the thread count, so the result is the same bytes on 1 or 64 threads.
/// </summary>
internal static unsafe class Bf16Gemm
{
    /// <summary>Below this many multiply-adds per thread, a fork costs more than it saves.</summary>
    private const long MinWorkPerThread = 1L << 20;

    /// <summary>512 columns × KC (the f32 GEMM's depth, 384) bf16 k-values = 384 KiB of packed B in L2.</summary>
    private const int NcMax = 512, McMax = 1536;

    public static void Run(bool native, bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda,
        ushort* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        int mr = Bf16Kernel.MR, nr = Bf16Kernel.NR;
        threads = (int)Math.Clamp((long)m * n * k / MinWorkPerThread, 1, Math.Max(1, threads));
        int mUnits = (m + mr - 1) / mr, nUnits = (n + nr - 1) / nr;
        bool splitRows = mUnits >= 2 * threads || mUnits >= nUnits;
        int units = splitRows ? mUnits : nUnits, unit = splitRows ? mr : nr, extent = splitRows ? m : n;
        int t = Math.Min(threads, units);
        if (t <= 1) { Block(native, transA, transB, 0, m, 0, n, k, alpha, a, lda, b, ldb, beta, c, ldc); return; }
        if (splitRows && (mUnits + t - 1) / t * mr <= McMax && Cooperative(native, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, t))
            return;
        GemmWorkers.Run(t, w =>
        {
            int lo = Math.Min(extent, (int)((long)units * w / t) * unit);
            int hi = Math.Min(extent, (int)((long)units * (w + 1) / t) * unit);
            if (lo >= hi) return;
            if (splitRows) Block(native, transA, transB, lo, hi, 0, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            else Block(native, transA, transB, 0, m, lo, hi, k, alpha, a, lda, b, ldb, beta, c, ldc);
        });
    }

    /// <summary>C[i0..i1, j0..j1] on the calling thread. AggressiveOptimization as in GemmDriver: tier-0 code made a
    /// process's first few hundred small products slower (and the 256³ benchmark with them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block(bool native, bool transA, bool transB, int i0, int i1, int j0, int j1, int k, float alpha, float* a, int lda,
        ushort* b, int ldb, float beta, float* c, int ldc)
    {
        int mr = Bf16Kernel.MR, nr = Bf16Kernel.NR;
        // The f32 GEMM's K blocks exactly: a later block is added onto C as there, so the bytes match it for any k.
        int KC = GemmBlocking.Balanced(k, GemmTuning.Current.KcF32), KP = (KC + 1) / 2;
        int NC = GemmBlocking.Balanced(j1 - j0, NcMax, nr);
        int MC = GemmBlocking.Balanced(i1 - i0, McMax, mr);
        uint* ap = GemmScratch.A<uint>((long)MC * KP);
        uint* bp = GemmScratch.B<uint>((long)NC * KP);
        float* tmp = stackalloc float[mr * nr];
        for (int ic = i0; ic < i1; ic += MC)
        {
            int mc = Math.Min(MC, i1 - ic);
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc), kp = (kc + 1) / 2;
                float betaEff = pc == 0 ? beta : 1f; // later K blocks accumulate onto the first
                Bf16Pack.A(transA, a, lda, ic, mc, pc, kc, ap);
                for (int jc = j0; jc < j1; jc += NC)
                {
                    int nc = Math.Min(NC, j1 - jc);
                    Bf16Pack.B(transB, b, ldb, pc, kc, jc, nc, bp);
                    Tiles(native, ap, mc, bp, nc, kp, c + (long)ic * ldc + jc, ldc, alpha, betaEff, tmp);
                }
            }
        }
    }

    /// <summary>
    /// Row split with one packed B block shared by all threads (<see cref="GemmCooperative"/>): each thread packing all
    /// of B itself doubled B's packing on 2 threads. The same K and N blocks, hence the same bytes, as Block. False if
    /// the workers are busy elsewhere.
    /// </summary>
    private static bool Cooperative(bool native, bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda,
        ushort* b, int ldb, float beta, float* c, int ldc, int t)
    {
        int KC = GemmBlocking.Balanced(k, GemmTuning.Current.KcF32);
        int NC = GemmBlocking.Balanced(n, NcMax, Bf16Kernel.NR);
        var ops = new CoopOps(native, transA, transB, a, lda, b, ldb, alpha, beta, c, ldc);
        return GemmCooperative.TryRun<uint, CoopOps>(ops, m, n, k, KC, NC, t);
    }

    /// <summary>This driver's packing (A rounded to bf16 k-pairs, B in k-pairs) and 12×32 tiles for <see cref="GemmCooperative"/>.</summary>
    private readonly struct CoopOps(bool native, bool transA, bool transB, float* a, int lda, ushort* b, int ldb, float alpha, float beta, float* c, int ldc)
        : ICoopGemm<uint>
    {
        public static int MR => Bf16Kernel.MR;
        public static int NR => Bf16Kernel.NR;
        public static int Depth(int kc) => (kc + 1) / 2;
        public static int TileBytes => Bf16Kernel.MR * Bf16Kernel.NR * sizeof(float);

        public void PackA(int i0, int mc, int pc, int kc, uint* ap) => Bf16Pack.A(transA, a, lda, i0, mc, pc, kc, ap);

        public void PackB(int pc, int kc, int j0, int nc, uint* dst) => Bf16Pack.B(transB, b, ldb, pc, kc, j0, nc, dst);

        public void Multiply(uint* ap, int mc, uint* bp, int nc, int kc, int i0, int jc, bool firstK, byte* tile)
            => Tiles(native, ap, mc, bp, nc, (kc + 1) / 2, c + (long)i0 * ldc + jc, ldc, alpha, firstK ? beta : 1f, (float*)tile);
    }

    /// <summary>All 12×32 tiles of one packed A block (mc rows) times one packed B block (nc columns), kp k-pairs deep.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tiles(bool native, uint* ap, int mc, uint* bp, int nc, int kp, float* c, int ldc, float alpha, float betaEff, float* tmp)
    {
        int mr = Bf16Kernel.MR, nr = Bf16Kernel.NR;
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            uint* apan = ap + (long)(ir / mr) * kp * mr;
            float* crow = c + (long)ir * ldc;
            for (int jr = 0; jr < nc; jr += nr)
            {
                int cols = Math.Min(nr, nc - jr);
                uint* bpan = bp + (long)(jr / nr) * kp * nr;
                if (rows == mr && cols == nr)
                    Bf16Kernel.Run(native, kp, apan, bpan, crow + jr, ldc, alpha, betaEff);
                else
                {
                    // Edge tile: full tile into scratch, then merge only the valid rows×cols.
                    Bf16Kernel.Run(native, kp, apan, bpan, tmp, nr, alpha, 0f);
                    Merge(tmp, nr, crow + jr, ldc, rows, cols, betaEff);
                }
            }
        }
    }

    private static void Merge(float* tile, int ldt, float* c, int ldc, int rows, int cols, float beta)
    {
        for (int i = 0; i < rows; i++)
        {
            float* ci = c + (long)i * ldc, ti = tile + (long)i * ldt;
            if (beta == 0f) for (int j = 0; j < cols; j++) ci[j] = ti[j];
            else for (int j = 0; j < cols; j++) ci[j] = ti[j] + beta * ci[j];
        }
    }
}
