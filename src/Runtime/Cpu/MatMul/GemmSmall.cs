using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Unpacked GEMM for tiny problems and very thin op(A) (a few rows, GEMV-like), where packing B would cost more than the
/// arithmetic. Each loop keeps the B row it streams hot while it serves every row of A.
/// </summary>
internal static unsafe class GemmSmall
{
    private const long MinWorkPerThread = 1L << 18;

    public static bool Suits(int m, int n, int k) => m < 4 || (long)m * n * k <= 16 * 16 * 16;

    public static void Run<T, TB>(bool transA, bool transB, int m, int n, int k, T alpha, T* a, int lda, TB b, T beta, T* c, int ldc, int threads)
        where T : unmanaged, IFloatingPointIeee754<T> where TB : struct, IGemmBSource<T>
    {
        int t = (int)Math.Clamp((long)m * n * k / MinWorkPerThread, 1, Math.Max(1, Math.Min(threads, n / 16)));
        if (t <= 1) { Columns(transA, transB, m, 0, n, k, alpha, a, lda, b, beta, c, ldc); return; }
        Parallel.For(0, t, new ParallelOptions { MaxDegreeOfParallelism = t },
            w => Columns(transA, transB, m, (int)((long)n * w / t), (int)((long)n * (w + 1) / t), k, alpha, a, lda, b, beta, c, ldc));
    }

    /// <summary>C[:, j0..j1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Columns<T, TB>(bool transA, bool transB, int m, int j0, int j1, int k, T alpha, T* a, int lda, TB b, T beta, T* c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T> where TB : struct, IGemmBSource<T>
    {
        int w = j1 - j0;
        if (w <= 0) return;
        T* ar = GemmPackA.RowsOfOpA(transA, m, k, a, lda, out long lar);

        T* scratch = GemmScratch.B<T>(transB ? k : w); // only non-f32 B (bf16) is widened into it, one row at a time
        if (!transB)
        {
            for (int i = 0; i < m; i++)
            {
                var ci = new Span<T>(c + (long)i * ldc + j0, w);
                if (beta == T.Zero) ci.Clear(); else if (beta != T.One) TensorPrimitives.Multiply(ci, beta, ci);
            }
            for (int p = 0; p < k; p++)
            {
                var bp = new ReadOnlySpan<T>(b.Row(p, j0, w, scratch), w);
                for (int i = 0; i < m; i++)
                {
                    var ci = new Span<T>(c + (long)i * ldc + j0, w);
                    TensorPrimitives.MultiplyAdd(bp, alpha * ar[i * lar + p], ci, ci);
                }
            }
        }
        else
        {
            for (int j = j0; j < j1; j++)
            {
                var bj = new ReadOnlySpan<T>(b.Row(j, 0, k, scratch), k);
                for (int i = 0; i < m; i++)
                {
                    T dot = CpuReduce.Dot(new ReadOnlySpan<T>(ar + i * lar, k), bj);
                    T* cij = c + (long)i * ldc + j;
                    *cij = beta == T.Zero ? alpha * dot : alpha * dot + beta * *cij;
                }
            }
        }
    }
}
