using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Row-major GEMM entry points of the CPU backend: C[m×n] = alpha·op(A)·op(B) + beta·C,
/// where op(A) is m×k (A stored k×m when transA) and op(B) is k×n (B stored n×k when transB).
/// Leading dimensions are row strides in elements. beta = 0 ignores C's prior contents (NaN included).
/// One f32 row times Wᵀ (batch-1 decode) runs GemvF32; C with at most 8 rows GemmSkinny; larger ones the packed, cache-blocked SIMD path (GemmDriver), except
/// tiny problems, which run GemmSmall.
/// </summary>
public static unsafe partial class Gemm
{
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
        => Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, CpuThreads.Count);

    public static void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha, double* a, int lda, double* b, int ldb, double beta, double* c, int ldc)
        => Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, CpuThreads.Count);

    /// <summary>Batched with element strides between consecutive A, B and C matrices (stride 0 = shared).</summary>
    public static void GemmStridedBatched<T>(bool transA, bool transB, int m, int n, int k, T alpha, T* a, int lda, long strideA,
        T* b, int ldb, long strideB, T beta, T* c, int ldc, long strideC, int batch) where T : unmanaged, IFloatingPointIeee754<T>
        => StridedBatched(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch, CpuThreads.Count);

    public static void Dispatch<T>(bool transA, bool transB, int m, int n, int k, T alpha, T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, CpuThreads.Count);

    /// <summary>A = f32 activations, B = bf16 weights (the common inference case); B is widened to f32 inside its packing.</summary>
    public static void SgemmBf16B(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, ushort* b, int ldb, float beta, float* c, int ldc)
        => RunBf16B(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, CpuThreads.Count);

    /// <summary>The GEMM with an explicit thread count and kernel family (tests and benchmarks pin both).</summary>
    internal static void Run<T>(bool transA, bool transB, int m, int n, int k, T alpha, T* a, int lda, T* b, int ldb, T beta, T* c, int ldc,
        int threads, GemmIsa isa = GemmIsa.Auto) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate<T>(transA, transB, m, n, k, lda, ldb, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == T.Zero) { ScaleC(m, n, beta, c, ldc); return; }
        if (typeof(T) == typeof(float) && !transA && GemvF32.Suits(transB, m) && Resolve<T>(isa) == GemmIsa.Avx512)
        {
            GemvF32.Run(n, k, float.CreateTruncating(alpha), (float*)a, (float*)b, ldb, float.CreateTruncating(beta), (float*)c, threads);
            return;
        }
        if (GemmSkinny.Suits<T>(m))
        {
            GemmSkinny.Run(Resolve<T>(isa), transA, transB, m, n, k, alpha, a, lda, new DenseB<T>(b, ldb, transB), beta, c, ldc, threads);
            return;
        }
        if (isa == GemmIsa.Auto && GemmSmall.Suits(m, n, k))
        {
            GemmSmall.Run(transA, transB, m, n, k, alpha, a, lda, new DenseB<T>(b, ldb, transB), beta, c, ldc, threads);
            return;
        }
        Packed(transA, m, n, k, alpha, a, lda, new DenseB<T>(b, ldb, transB), beta, c, ldc, threads, isa);
    }

    internal static void RunBf16B(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, ushort* b, int ldb, float beta, float* c, int ldc,
        int threads, GemmIsa isa = GemmIsa.Auto)
    {
        Validate<float>(transA, transB, m, n, k, lda, ldb, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f) { ScaleC(m, n, beta, c, ldc); return; }
        if (GemmSkinny.Suits<float>(m))
        {
            GemmSkinny.Run(Resolve<float>(isa), transA, transB, m, n, k, alpha, a, lda, new Bf16B(b, ldb, transB), beta, c, ldc, threads);
            return;
        }
        if (isa == GemmIsa.Auto && GemmSmall.Suits(m, n, k))
        {
            GemmSmall.Run(transA, transB, m, n, k, alpha, a, lda, new Bf16B(b, ldb, transB), beta, c, ldc, threads);
            return;
        }
        Packed(transA, m, n, k, alpha, a, lda, new Bf16B(b, ldb, transB), beta, c, ldc, threads, isa);
    }

    internal static void StridedBatched<T>(bool transA, bool transB, int m, int n, int k, T alpha, T* a, int lda, long strideA,
        T* b, int ldb, long strideB, T beta, T* c, int ldc, long strideC, int batch, int threads, GemmIsa isa = GemmIsa.Auto)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch), $"gemm: batch must be non-negative, got {batch}");
        // Small matrices: one thread per matrix beats splitting each one. Shared C (stride 0) must stay sequential.
        bool perMatrix = batch > 1 && threads > 1 && strideC != 0 && (long)m * n * k < 1L << 21;
        if (!perMatrix)
        {
            for (int i = 0; i < batch; i++)
                Run(transA, transB, m, n, k, alpha, a + i * strideA, lda, b + i * strideB, ldb, beta, c + i * strideC, ldc, threads, isa);
            return;
        }
        Parallel.For(0, batch, new ParallelOptions { MaxDegreeOfParallelism = threads },
            i => Run(transA, transB, m, n, k, alpha, a + i * strideA, lda, b + i * strideB, ldb, beta, c + i * strideC, ldc, 1, isa));
    }

    private static void Packed<T, TB>(bool transA, int m, int n, int k, T alpha, T* a, int lda, TB b, T beta, T* c, int ldc, int threads, GemmIsa isa)
        where T : unmanaged, IFloatingPointIeee754<T> where TB : struct, IGemmBSource<T>
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"gemm: element type {typeof(T).Name} is not supported (float or double expected)");
        switch (Resolve<T>(isa))
        {
            case GemmIsa.Avx512: GemmDriver.Run<T, GemmKernelAvx512<T>, TB>(transA, m, n, k, alpha, a, lda, b, beta, c, ldc, threads); break;
            case GemmIsa.Avx2: GemmDriver.Run<T, GemmKernelAvx2<T>, TB>(transA, m, n, k, alpha, a, lda, b, beta, c, ldc, threads); break;
            default: GemmDriver.Run<T, GemmKernelPortable<T>, TB>(transA, m, n, k, alpha, a, lda, b, beta, c, ldc, threads); break;
        }
    }

    /// <summary>The kernel family Auto picks on this CPU (GemmTuning's table), or the requested one if the CPU has it.</summary>
    internal static GemmIsa Resolve<T>(GemmIsa isa) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (isa == GemmIsa.Auto) isa = GemmTuning.Current.Isa;
        bool ok = isa switch
        {
            GemmIsa.Avx512 => GemmKernelAvx512<T>.IsSupported,
            GemmIsa.Avx2 => GemmKernelAvx2<T>.IsSupported,
            _ => true,
        };
        return ok ? isa : throw new PlatformNotSupportedException($"gemm: the {isa} kernel is not supported on this CPU");
    }

    private static void ScaleC<T>(int m, int n, T beta, T* c, int ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (beta == T.One) return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<T>(c + (long)i * ldc, n);
            if (beta == T.Zero) row.Clear(); else TensorPrimitives.Multiply(row, beta, row);
        }
    }

    private static void Validate<T>(bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentOutOfRangeException(nameof(m), $"gemm: dimensions must be non-negative, got m={m} n={n} k={k}");
        int needA = transA ? m : k, needB = transB ? k : n;
        if (lda < needA || ldb < needB || ldc < n)
            throw new ArgumentException($"gemm<{typeof(T).Name}>: leading dimensions too small for m={m} n={n} k={k} (transA={transA}, transB={transB}): " +
                $"lda={lda} needs ≥{needA}, ldb={ldb} needs ≥{needB}, ldc={ldc} needs ≥{n}");
    }
}
