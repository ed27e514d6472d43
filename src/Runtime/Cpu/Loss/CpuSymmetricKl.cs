using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Fused symmetric KL between p = softmax(x) and q = softmax(y) per row:
/// KL(p‖q) + KL(q‖p) = Σ_v (p_v − q_v)(log p_v − log q_v). With d = log p − log q, the gradients are
/// ∂/∂x = p⊙(d − KL(p‖q) + 1) − q and ∂/∂y = q⊙(1 − KL(q‖p) − d) − p; both recompute p, q from the saved lse.
/// Everything is evaluated in f64 and rounded once to T: in f32, x − lse loses ~1e-6 absolute (lse ≈ 12 for a 150k
/// vocabulary) and the gradient's p·(…) − q cancels, so f32 results differed from the CUDA twin by more than 1e-5;
/// in f64 both backends round the same values and agree to the last bit in practice.
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
            double lseP = LogSumExpF64(xr), lseQ = LogSumExpF64(yr);
            Span<double> pa = stackalloc double[B], qb = stackalloc double[B], dd = stackalloc double[B];
            double klPQ = 0, klQP = 0;
            for (int b = 0; b < vocab; b += B)
            {
                int m = Math.Min(B, vocab - b);
                var p = pa[..m]; var q = qb[..m]; var d = dd[..m];
                LogProbs(xr.Slice(b, m), lseP, p);
                LogProbs(yr.Slice(b, m), lseQ, q);
                TensorPrimitives.Subtract(p, q, d);
                TensorPrimitives.Exp(p, p);
                TensorPrimitives.Exp(q, q);
                klPQ += CpuReduce.Dot(p, d);
                klQP -= CpuReduce.Dot(q, d);
            }
            kl[i] = T.CreateTruncating(klPQ + klQP);
            T* s = stats + (long)i * StatsPerRow;
            s[0] = T.CreateTruncating(lseP); s[1] = T.CreateTruncating(lseQ); s[2] = T.CreateTruncating(klPQ); s[3] = T.CreateTruncating(klQP);
        }, SoftmaxRow.MinRowsPerThread(2 * vocab));
    }

    public static void Backward<T>(T* x, T* y, T* stats, T* gy, T* dx, T* dy, int rows, int vocab) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int B = SoftmaxRow.Block;
        CpuThreads.For(rows, i =>
        {
            T* s = stats + (long)i * StatsPerRow;
            double lseP = double.CreateTruncating(s[0]), lseQ = double.CreateTruncating(s[1]);
            double onePQ = 1 - double.CreateTruncating(s[2]), oneQP = 1 - double.CreateTruncating(s[3]), g = double.CreateTruncating(gy[i]);
            long row = (long)i * vocab;
            Span<double> pa = stackalloc double[B], qb = stackalloc double[B], dd = stackalloc double[B], oa = stackalloc double[B];
            for (int b = 0; b < vocab; b += B)
            {
                int m = Math.Min(B, vocab - b);
                var p = pa[..m]; var q = qb[..m]; var d = dd[..m]; var o = oa[..m];
                LogProbs(new ReadOnlySpan<T>(x + row + b, m), lseP, p);
                LogProbs(new ReadOnlySpan<T>(y + row + b, m), lseQ, q);
                TensorPrimitives.Subtract(p, q, d);
                TensorPrimitives.Exp(p, p);
                TensorPrimitives.Exp(q, q);
                // dx = ((d + 1 − KL(p‖q))·p − q)·g
                TensorPrimitives.Add(d, onePQ, o);
                TensorPrimitives.Multiply(o, p, o);
                TensorPrimitives.Subtract(o, q, o);
                TensorPrimitives.Multiply(o, g, o);
                Narrow(o, new Span<T>(dx + row + b, m));
                // dy = ((1 − KL(q‖p) − d)·q − p)·g
                TensorPrimitives.Subtract(oneQP, d, o);
                TensorPrimitives.Multiply(o, q, o);
                TensorPrimitives.Subtract(o, p, o);
                TensorPrimitives.Multiply(o, g, o);
                Narrow(o, new Span<T>(dy + row + b, m));
            }
        }, SoftmaxRow.MinRowsPerThread(2 * vocab));
    }

    /// <summary>log Σ exp(row) in f64, shifted by the row maximum; a non-finite maximum is returned as is (as SoftmaxRow.LogSumExp).</summary>
    private static double LogSumExpF64<T>(ReadOnlySpan<T> row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double max = double.CreateTruncating(TensorPrimitives.Max(row));
        if (!double.IsFinite(max)) return max;
        Span<double> tmp = stackalloc double[SoftmaxRow.Block];
        double sum = 0;
        for (int b = 0; b < row.Length; b += SoftmaxRow.Block)
        {
            int m = Math.Min(SoftmaxRow.Block, row.Length - b);
            var t = tmp[..m];
            LogProbs(row.Slice(b, m), max, t);
            TensorPrimitives.Exp(t, t);
            sum += CpuReduce.Sum(t);
        }
        return max + Math.Log(sum);
    }

    /// <summary>dst = (double)src − shift.</summary>
    private static void LogProbs<T>(ReadOnlySpan<T> src, double shift, Span<double> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < src.Length; j++) dst[j] = double.CreateTruncating(src[j]) - shift;
    }

    private static void Narrow<T>(ReadOnlySpan<double> src, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < src.Length; j++) dst[j] = T.CreateTruncating(src[j]);
    }
}
