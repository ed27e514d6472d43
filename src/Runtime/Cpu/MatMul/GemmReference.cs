using System.Numerics;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Plain triple-loop GEMM, the readable reference the fast kernels are tested against.
/// Row-major: C[m×n] = alpha·op(A)·op(B) + beta·C, op(A) is m×k (A stored k×m when transA).
/// </summary>
public static unsafe class GemmReference
{
    public static void Gemm<T>(bool transA, bool transB, int m, int n, int k, T alpha, T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double acc = 0;
                for (int p = 0; p < k; p++)
                {
                    var av = transA ? a[(long)p * lda + i] : a[(long)i * lda + p];
                    var bv = transB ? b[(long)j * ldb + p] : b[(long)p * ldb + j];
                    acc += double.CreateTruncating(av) * double.CreateTruncating(bv);
                }
                var prev = beta == T.Zero ? T.Zero : beta * c[(long)i * ldc + j];
                c[(long)i * ldc + j] = alpha * T.CreateTruncating(acc) + prev;
            }
    }
}
