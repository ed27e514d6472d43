using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Fused symmetric KL between p = softmax(x) and q = softmax(y) per row:
/// KL(p‖q) + KL(q‖p) = Σ_v (p_v − q_v)(log p_v − log q_v). With d = log p − log q, the gradients are
/// ∂/∂x = p⊙(d − KL(p‖q) + 1) − q and ∂/∂y = q⊙(1 − KL(q‖p) − d) − p; both recompute p, q from the saved lse.
/// </summary>
internal static unsafe class CpuSymmetricKl
{
    public const int StatsPerRow = 4; // lseP, lseQ, KL(p‖q), KL(q‖p)

    public static void Forward<T>(T* x, T* y, T* kl, T* stats, int rows, int vocab) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int B = SoftmaxRow.Block;
        CpuThreads.For(rows, i =>
        {
            var xr = new ReadOnlySpan<T>(x + (long)i * vocab, vocab);
            var yr = new ReadOnlySpan<T>(y + (long)i * vocab, vocab);
            T lseP = SoftmaxRow.LogSumExp(xr), lseQ = SoftmaxRow.LogSumExp(yr);
            Span<T> pa = stackalloc T[B], qb = stackalloc T[B], dd = stackalloc T[B];
            T klPQ = T.Zero, klQP = T.Zero;
            for (int b = 0; b < vocab; b += B)
            {
                int m = Math.Min(B, vocab - b);
                var p = pa[..m]; var q = qb[..m]; var d = dd[..m];
                TensorPrimitives.Subtract(xr.Slice(b, m), lseP, p);
                TensorPrimitives.Subtract(yr.Slice(b, m), lseQ, q);
                TensorPrimitives.Subtract(p, q, d);
                TensorPrimitives.Exp(p, p);
                TensorPrimitives.Exp(q, q);
                klPQ += TensorPrimitives.Dot<T>(p, d);
                klQP -= TensorPrimitives.Dot<T>(q, d);
            }
            kl[i] = klPQ + klQP;
            T* s = stats + (long)i * StatsPerRow;
            s[0] = lseP; s[1] = lseQ; s[2] = klPQ; s[3] = klQP;
        }, SoftmaxRow.MinRowsPerThread(2 * vocab));
    }

    public static void Backward<T>(T* x, T* y, T* stats, T* gy, T* dx, T* dy, int rows, int vocab) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int B = SoftmaxRow.Block;
        CpuThreads.For(rows, i =>
        {
            T* s = stats + (long)i * StatsPerRow;
            T lseP = s[0], lseQ = s[1], onePQ = T.One - s[2], oneQP = T.One - s[3], g = gy[i];
            long row = (long)i * vocab;
            Span<T> pa = stackalloc T[B], qb = stackalloc T[B], dd = stackalloc T[B];
            for (int b = 0; b < vocab; b += B)
            {
                int m = Math.Min(B, vocab - b);
                var p = pa[..m]; var q = qb[..m]; var d = dd[..m];
                TensorPrimitives.Subtract(new ReadOnlySpan<T>(x + row + b, m), lseP, p);
                TensorPrimitives.Subtract(new ReadOnlySpan<T>(y + row + b, m), lseQ, q);
                TensorPrimitives.Subtract(p, q, d);
                TensorPrimitives.Exp(p, p);
                TensorPrimitives.Exp(q, q);
                var gx = new Span<T>(dx + row + b, m);
                TensorPrimitives.Add(d, onePQ, gx);
                TensorPrimitives.Multiply(gx, p, gx);
                TensorPrimitives.Subtract(gx, q, gx);
                TensorPrimitives.Multiply(gx, g, gx);
                var gq = new Span<T>(dy + row + b, m);
                TensorPrimitives.Subtract(oneQP, d, gq);
                TensorPrimitives.Multiply(gq, q, gq);
                TensorPrimitives.Subtract(gq, p, gq);
                TensorPrimitives.Multiply(gq, g, gq);
            }
        }, SoftmaxRow.MinRowsPerThread(2 * vocab));
    }
}
