using System.Numerics;
using System.Runtime.CompilerServices;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Packs an mc×kc block of op(A) into MR-row micro-panels: panel r holds, for each of kc steps, the MR values of rows
/// r·MR..r·MR+MR−1 contiguously (zero-padded past the last row) so the microkernel reads A strictly sequentially.
/// </summary>
internal static unsafe class GemmPackA
{
    /// <param name="a">A as stored; op(A)[i,p] = transA ? a[p·lda+i] : a[i·lda+p].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack<T>(bool transA, T* a, int lda, int i0, int mc, int p0, int kc, int mr, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int ip = 0; ip < mc; ip += mr)
        {
            int rows = Math.Min(mr, mc - ip);
            T* d = dst + (long)ip * kc;
            if (transA)
            {
                // Rows of op(A) are columns of A: each k step is a contiguous run of `rows` values.
                T* s = a + (long)p0 * lda + i0 + ip;
                for (int p = 0; p < kc; p++, s += lda, d += mr)
                {
                    int r = 0;
                    for (; r < rows; r++) d[r] = s[r];
                    for (; r < mr; r++) d[r] = T.Zero;
                }
            }
            else
            {
                // Read each A row contiguously, interleave with stride mr (the panel stays in L1 while written).
                GemmTranspose.Rows(a + (long)(i0 + ip) * lda + p0, lda, rows, kc, d, mr);
                for (int r = rows; r < mr; r++)
                    for (int p = 0; p < kc; p++) d[(long)p * mr + r] = T.Zero;
            }
        }
    }

    /// <summary>
    /// The unpacked small-M paths read op(A) row by row: A itself when it is stored untransposed (row stride lda), else its
    /// m × k rows gathered into this thread's scratch (row stride k; small, since m is).
    /// </summary>
    public static T* RowsOfOpA<T>(bool transA, int m, int k, T* a, int lda, out long rowStride) where T : unmanaged
    {
        rowStride = lda;
        if (!transA) return a;
        T* rows = GemmScratch.A<T>((long)m * k);
        rowStride = k;
        for (int p = 0; p < k; p++) for (int i = 0; i < m; i++) rows[(long)i * k + p] = a[(long)p * lda + i];
        return rows;
    }
}
