using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Runtime.Cpu;

/// <summary>
/// The small-M (decode) GEMM: C has at most <see cref="MaxM"/> rows, as in batch-1..8 decoding x·Wᵀ. Packing B would
/// cost as much as the arithmetic (each element of B is used at most 8 times), and the packed path's 12-row tile would
/// be mostly padding, so B is streamed once, unpacked, through register-blocked kernels (GemmSkinnyKernels).
/// Threads split the columns of C in a partition fixed by n and the thread count; every output is computed the same way
/// whichever thread owns it, so the result does not even depend on the thread count.
/// </summary>
internal static unsafe class GemmSkinny
{
    public const int MaxM = 8;

    /// <summary>Below this many multiply-adds per thread, a fork costs more than it saves.</summary>
    private const long MinWorkPerThread = 1L << 19;

    /// <summary>
    /// 2–8 rows. One row (batch-1 decode) goes to GemvF32 (f32 x·Wᵀ on AVX-512) or else stays on GemmSmall's row
    /// kernel: on the quiet Zen 5 run GemmSmall was 1.3–3× faster than this path on 2 threads at n = k = 1024–4096
    /// (bench/results/cpu-gemm.md), while 2–8 rows gain 1.2–3.3×.
    /// </summary>
    public static bool Suits<T>(int m) => m >= 2 && m <= MaxM && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    /// <summary>isa is a resolved family (Avx512, Avx2 or Portable): it picks the register width.</summary>
    public static void Run<T, TB>(GemmIsa isa, bool transA, bool transB, int m, int n, int k, T alpha, T* a, int lda, TB b, T beta, T* c, int ldc, int threads)
        where T : unmanaged, IFloatingPointIeee754<T> where TB : struct, IGemmBSource<T>
    {
        switch (isa)
        {
            case GemmIsa.Avx512:
                Run<T, Vector512<T>, SkinnyVec512<T>, TB>(true, transA, transB, m, n, k, alpha, a, lda, b, beta, c, ldc, threads); break;
            case GemmIsa.Avx2:
                Run<T, Vector256<T>, SkinnyVec256<T>, TB>(false, transA, transB, m, n, k, alpha, a, lda, b, beta, c, ldc, threads); break;
            default:
                Run<T, Vector<T>, SkinnyVecPortable<T>, TB>(false, transA, transB, m, n, k, alpha, a, lda, b, beta, c, ldc, threads); break;
        }
    }

    /// <param name="fourRows">Whether 4-row kernels fit the register file (32 vector registers: AVX-512 only).</param>
    private static void Run<T, TV, TO, TB>(bool fourRows, bool transA, bool transB, int m, int n, int k, T alpha, T* a, int lda, TB b, T beta, T* c, int ldc, int threads)
        where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TO : ISkinnyVec<TV, T> where TB : struct, IGemmBSource<T>
    {
        T* ar = GemmPackA.RowsOfOpA(transA, m, k, a, lda, out long lar);
        int unit = transB ? 4 : 4 * TO.Count;
        int units = (n + unit - 1) / unit;
        int t = (int)Math.Clamp((long)m * n * k / MinWorkPerThread, 1, Math.Max(1, Math.Min(threads, units)));
        if (t <= 1)
        {
            Columns<T, TV, TO, TB>(fourRows, transB, m, 0, n, k, alpha, ar, lar, b, beta, c, ldc);
            return;
        }
        GemmWorkers.Run(t, w =>
        {
            int lo = (int)Math.Min(n, (long)units * w / t * unit), hi = (int)Math.Min(n, (long)units * (w + 1) / t * unit);
            if (lo < hi) Columns<T, TV, TO, TB>(fourRows, transB, m, lo, hi, k, alpha, ar, lar, b, beta, c, ldc);
        });
    }

    /// <summary>C[:, j0..j1] on the calling thread.</summary>
    private static void Columns<T, TV, TO, TB>(bool fourRows, bool transB, int m, int j0, int j1, int k, T alpha, T* a, long lda, TB b, T beta, T* c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TO : ISkinnyVec<TV, T> where TB : struct, IGemmBSource<T>
    {
        if (transB) DotColumns<T, TV, TO, TB>(fourRows, m, j0, j1, k, alpha, a, lda, b, beta, c, ldc);
        else AxpyColumns<T, TV, TO, TB>(fourRows, m, j0, j1, k, alpha, a, lda, b, beta, c, ldc);
    }

    /// <summary>op(B) = Wᵀ: four rows of W at a time, each dotted with every row of A while it is hot in cache.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotColumns<T, TV, TO, TB>(bool fourRows, int m, int j0, int j1, int k, T alpha, T* a, long lda, TB b, T beta, T* c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TO : ISkinnyVec<TV, T> where TB : struct, IGemmBSource<T>
    {
        T* scratch = GemmScratch.B<T>(4L * k); // only a bf16 W is widened into it, one row per slot
        T* o = stackalloc T[16];
        for (int j = j0; j < j1; j += 4)
        {
            int cols = Math.Min(4, j1 - j);
            // A missing column reuses row 0 of the group; its results are computed and dropped.
            T* w0 = b.Row(j, 0, k, scratch);
            T* w1 = cols > 1 ? b.Row(j + 1, 0, k, scratch + k) : w0;
            T* w2 = cols > 2 ? b.Row(j + 2, 0, k, scratch + 2L * k) : w0;
            T* w3 = cols > 3 ? b.Row(j + 3, 0, k, scratch + 3L * k) : w0;
            // Rows of W in place and evenly spaced (not widened into scratch): the next group starts 4 strides on.
            nint stride = (nint)(w1 - w0);
            nint ahead = cols == 4 && w0 != scratch && w2 - w1 == stride && w3 - w2 == stride ? 4 * stride : 0;
            int i = 0;
            if (fourRows)
                for (; i + 4 <= m; i += 4)
                {
                    GemmSkinnyKernels.Dot4<T, TV, TO, SkinnyRows4>(k, a + i * lda, lda, w0, w1, w2, w3, ahead, o);
                    Merge(o, 4, 4, cols, c + (long)i * ldc + j, ldc, alpha, beta);
                }
            for (; i + 2 <= m; i += 2)
            {
                GemmSkinnyKernels.Dot4<T, TV, TO, SkinnyRows2>(k, a + i * lda, lda, w0, w1, w2, w3, ahead, o);
                Merge(o, 4, 2, cols, c + (long)i * ldc + j, ldc, alpha, beta);
            }
            for (; i < m; i++)
            {
                GemmSkinnyKernels.Dot4<T, TV, TO, SkinnyRows1>(k, a + i * lda, lda, w0, w1, w2, w3, ahead, o);
                Merge(o, 4, 1, cols, c + (long)i * ldc + j, ldc, alpha, beta);
            }
        }
    }

    /// <summary>op(B) = B: blocks of four vectors of columns, then single vectors, then a scalar tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AxpyColumns<T, TV, TO, TB>(bool fourRows, int m, int j0, int j1, int k, T alpha, T* a, long lda, TB b, T beta, T* c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TO : ISkinnyVec<TV, T> where TB : struct, IGemmBSource<T>
    {
        int w = TO.Count, blk = 4 * w;
        T* scratch = GemmScratch.B<T>(blk); // only a bf16 B is widened into it
        T* o = stackalloc T[MaxM * blk]; // the scalar tail holds every row at once
        int j = j0;
        for (; j + blk <= j1; j += blk) AxpyBlock<T, TV, TO, TB>(fourRows, m, j, 4, k, alpha, a, lda, b, beta, c, ldc, scratch, o, blk);
        for (; j + w <= j1; j += w) AxpyBlock<T, TV, TO, TB>(fourRows, m, j, 1, k, alpha, a, lda, b, beta, c, ldc, scratch, o, blk);
        int rest = j1 - j;
        if (rest == 0) return;
        new Span<T>(o, m * blk).Clear();
        for (int p = 0; p < k; p++)
        {
            T* bp = b.Row(p, j, rest, scratch);
            for (int i = 0; i < m; i++)
            {
                T x = a[i * lda + p];
                for (int jj = 0; jj < rest; jj++) o[i * blk + jj] += x * bp[jj];
            }
        }
        Merge(o, blk, m, rest, c + j, ldc, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AxpyBlock<T, TV, TO, TB>(bool fourRows, int m, int j, int vectors, int k, T alpha, T* a, long lda, TB b, T beta, T* c, int ldc, T* scratch, T* o, int ldo)
        where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TO : ISkinnyVec<TV, T> where TB : struct, IGemmBSource<T>
    {
        int cols = vectors * TO.Count, i = 0;
        if (fourRows)
            for (; i + 4 <= m; i += 4)
            {
                GemmSkinnyKernels.Axpy<T, TV, TO, SkinnyRows4, TB>(k, a + i * lda, lda, b, j, vectors, scratch, o, ldo);
                Merge(o, ldo, 4, cols, c + (long)i * ldc + j, ldc, alpha, beta);
            }
        for (; i + 2 <= m; i += 2)
        {
            GemmSkinnyKernels.Axpy<T, TV, TO, SkinnyRows2, TB>(k, a + i * lda, lda, b, j, vectors, scratch, o, ldo);
            Merge(o, ldo, 2, cols, c + (long)i * ldc + j, ldc, alpha, beta);
        }
        for (; i < m; i++)
        {
            GemmSkinnyKernels.Axpy<T, TV, TO, SkinnyRows1, TB>(k, a + i * lda, lda, b, j, vectors, scratch, o, ldo);
            Merge(o, ldo, 1, cols, c + (long)i * ldc + j, ldc, alpha, beta);
        }
    }

    /// <summary>C[rows×cols] = alpha·tile + beta·C; beta = 0 never reads C (NaN there is ignored).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Merge<T>(T* tile, int ldt, int rows, int cols, T* c, int ldc, T alpha, T beta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows; i++)
        {
            T* ci = c + (long)i * ldc, ti = tile + (long)i * ldt;
            if (beta == T.Zero) for (int j = 0; j < cols; j++) ci[j] = alpha * ti[j];
            else for (int j = 0; j < cols; j++) ci[j] = alpha * ti[j] + beta * ci[j];
        }
    }
}
