using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Row-major GEMM entry points of the CPU backend: C[m×n] = alpha·op(A)·op(B) + beta·C,
/// where op(A) is m×k (A stored k×m when transA) and op(B) is k×n (B stored n×k when transB).
/// Leading dimensions are row strides in elements. beta = 0 ignores C's prior contents (NaN included).
/// </summary>
public static unsafe partial class Gemm
{
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
        => Generic(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    public static void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha, double* a, int lda, double* b, int ldb, double beta, double* c, int ldc)
        => Generic(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>Batched with element strides between consecutive A, B and C matrices (stride 0 = shared).</summary>
    public static void GemmStridedBatched<T>(bool transA, bool transB, int m, int n, int k, T alpha, T* a, int lda, long strideA,
        T* b, int ldb, long strideB, T beta, T* c, int ldc, long strideC, int batch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < batch; i++)
            Dispatch(transA, transB, m, n, k, alpha, a + i * strideA, lda, b + i * strideB, ldb, beta, c + i * strideC, ldc);
    }

    public static void Dispatch<T>(bool transA, bool transB, int m, int n, int k, T alpha, T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            Sgemm(transA, transB, m, n, k, float.CreateTruncating(alpha), (float*)a, lda, (float*)b, ldb, float.CreateTruncating(beta), (float*)c, ldc);
        else Generic(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>A = f32 activations, B = bf16 weights (the common inference case); B is widened in panels.</summary>
    public static void SgemmBf16B(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, ushort* b, int ldb, float beta, float* c, int ldc)
    {
        // Widen B row by row into a scratch f32 copy, then run the f32 kernel.
        int rows = transB ? n : k, cols = transB ? k : n;
        var tmp = new float[(long)rows * cols];
        fixed (float* t = tmp)
        {
            for (int r = 0; r < rows; r++)
                DTypeConvert.Bf16ToFloat(new ReadOnlySpan<ushort>(b + (long)r * ldb, cols), new Span<float>(t + (long)r * cols, cols));
            Sgemm(transA, transB, m, n, k, alpha, a, lda, t, cols, beta, c, ldc);
        }
    }

    /// <summary>Simple row-streaming kernel, correct for any layout; used for F64 and as a fallback.</summary>
    internal static void Generic<T>(bool transA, bool transB, int m, int n, int k, T alpha, T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Make B row-major k×n so the inner loop is a contiguous axpy.
        T[]? bt = null;
        int ldbb = ldb;
        T* bb = b;
        if (transB)
        {
            bt = new T[(long)k * n];
            for (int j = 0; j < n; j++) for (int p = 0; p < k; p++) bt[(long)p * n + j] = b[(long)j * ldb + p];
            ldbb = n;
        }
        fixed (T* btp = bt)
        {
            if (bt is not null) bb = btp;
            T* bLocal = bb;
            int ldbLocal = ldbb;
            CpuThreads.For(m, i =>
            {
                var crow = new Span<T>(c + (long)i * ldc, n);
                if (beta == T.Zero) crow.Clear(); else if (beta != T.One) TensorPrimitives.Multiply(crow, beta, crow);
                for (int p = 0; p < k; p++)
                {
                    var av = alpha * (transA ? a[(long)p * lda + i] : a[(long)i * lda + p]);
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(bLocal + (long)p * ldbLocal, n), av, crow, crow);
                }
            }, minPerThread: Math.Max(1, 4096 / Math.Max(1, n * k / 64 + 1)));
        }
    }
}
