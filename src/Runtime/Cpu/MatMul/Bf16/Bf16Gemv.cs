using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Runtime.Cpu;

/// <summary>
/// y = alpha·x·Wᵀ + beta·y for a few rows of x (decode: m = 1) and bf16 W stored n×k: memory-bound, so the weights
/// are streamed once, widened to f32 in registers (a shift: exact) and multiplied by f32 x with f32 sums; x is not
/// rounded. Each output is one dot product summed in a fixed order (32 lanes, then a fixed lane sum), and threads
/// take fixed column ranges, so the bytes do not depend on the thread count.
/// </summary>
internal static unsafe class Bf16Gemv
{
    public const int MaxRows = 4;

    /// <summary>Bytes of weights per thread below which a fork costs more than it saves.</summary>
    private const long MinBytesPerThread = 256 * 1024;

    /// <summary>
    /// How far ahead (weights) each row of W is prefetched in software (0 = hardware prefetch only). 1024 weights (2 KiB)
    /// read 24–25 GB/s on one Zen 5 core against 15–21 GB/s without (gemv-roofline, W out of cache, 4 runs paired in
    /// one process); prefetches never fault, so running past the last row is harmless. Internal so the bench can compare.
    /// </summary>
    internal static int PrefetchAhead = 1024;

    public static bool Suits(bool transA, bool transB, int m) => !transA && transB && m >= 1 && m <= MaxRows && Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    public static void Run(int m, int n, int k, float alpha, float* x, int ldx, ushort* w, int ldw, float beta, float* y, int ldy, int threads)
    {
        long bytes = 2L * n * k;
        int t = (int)Math.Clamp(bytes / MinBytesPerThread, 1, Math.Max(1, Math.Min(threads, n)));
        if (t <= 1) { Columns(m, 0, n, k, alpha, x, ldx, w, ldw, beta, y, ldy); return; }
        GemmWorkers.Run(t, i => Columns(m, (int)((long)n * i / t), (int)((long)n * (i + 1) / t), k, alpha, x, ldx, w, ldw, beta, y, ldy));
    }

    /// <remarks>
    /// AggressiveOptimization (here and on FourColumns): without it these start as tier-0 code, about 10× slower (every
    /// Vector512 helper a call), and are replaced only when the background JIT thread gets a core. On 2 threads of a
    /// 2-core machine the fork keeps both cores busy, so the tier-1 code came late: the 2-thread GEMV ran 5–13 ms for its
    /// first hundreds of calls against 1.1 ms on 1 thread (bench/results/cpu-bf16.md, "Decode GEMV").
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Columns(int m, int j0, int j1, int k, float alpha, float* x, int ldx, ushort* w, int ldw, float beta, float* y, int ldy)
    {
        int k32 = k & ~31;
        var acc = stackalloc Vector512<float>[2 * MaxRows];
        int j = j0;
        if (m == 1) for (; j + 4 <= j1; j += 4) FourColumns(j, k, k32, alpha, x, w, ldw, beta, y);
        for (; j < j1; j++)
        {
            ushort* wj = w + (long)j * ldw;
            for (int i = 0; i < 2 * m; i++) acc[i] = Vector512<float>.Zero;
            for (int p = 0; p < k32; p += 32)
            {
                var bits = Vector512.Load(wj + p);
                var (lo, hi) = Vector512.Widen(bits);
                var w0 = (lo << 16).AsSingle();
                var w1 = (hi << 16).AsSingle();
                for (int i = 0; i < m; i++)
                {
                    float* xi = x + (long)i * ldx + p;
                    acc[2 * i] = Vector512.FusedMultiplyAdd(Vector512.Load(xi), w0, acc[2 * i]);
                    acc[2 * i + 1] = Vector512.FusedMultiplyAdd(Vector512.Load(xi + 16), w1, acc[2 * i + 1]);
                }
            }
            for (int i = 0; i < m; i++)
            {
                float s = Vector512.Sum(acc[2 * i] + acc[2 * i + 1]);
                float* xi = x + (long)i * ldx;
                for (int p = k32; p < k; p++) s += xi[p] * DTypeConvert.Bf16ToFloat(wj[p]);
                float* yij = y + (long)i * ldy + j;
                *yij = beta == 0f ? alpha * s : alpha * s + beta * *yij;
            }
        }
    }

    /// <summary>
    /// One row of x against four rows of W at once (batch-1 decode): four independent weight streams and eight
    /// accumulators keep more loads in flight than one row's two FMA chains. Each output is summed exactly as in the
    /// one-column loop (same lanes, same order), so the bytes do not change.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourColumns(int j, int k, int k32, float alpha, float* x, ushort* w, int ldw, float beta, float* y)
    {
        ushort* w0 = w + (long)j * ldw, w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw;
        Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        int pf = PrefetchAhead;
        for (int p = 0; p < k32; p += 32)
        {
            if (pf != 0) { Sse.Prefetch0(w0 + p + pf); Sse.Prefetch0(w1 + p + pf); Sse.Prefetch0(w2 + p + pf); Sse.Prefetch0(w3 + p + pf); }
            var xl = Vector512.Load(x + p); var xh = Vector512.Load(x + p + 16);
            // Written out (no helper taking the accumulators by ref), so they stay in registers.
            a0 = Avx512F.FusedMultiplyAdd(xl, Widen(w0 + p), a0); b0 = Avx512F.FusedMultiplyAdd(xh, Widen(w0 + p + 16), b0);
            a1 = Avx512F.FusedMultiplyAdd(xl, Widen(w1 + p), a1); b1 = Avx512F.FusedMultiplyAdd(xh, Widen(w1 + p + 16), b1);
            a2 = Avx512F.FusedMultiplyAdd(xl, Widen(w2 + p), a2); b2 = Avx512F.FusedMultiplyAdd(xh, Widen(w2 + p + 16), b2);
            a3 = Avx512F.FusedMultiplyAdd(xl, Widen(w3 + p), a3); b3 = Avx512F.FusedMultiplyAdd(xh, Widen(w3 + p + 16), b3);
        }
        Finish(0, w0, a0, b0); Finish(1, w1, a1, b1); Finish(2, w2, a2, b2); Finish(3, w3, a3, b3);

        void Finish(int c, ushort* wc, Vector512<float> lo, Vector512<float> hi)
        {
            float s = Vector512.Sum(lo + hi);
            for (int p = k32; p < k; p++) s += x[p] * DTypeConvert.Bf16ToFloat(wc[p]);
            float* yj = y + j + c;
            *yj = beta == 0f ? alpha * s : alpha * s + beta * *yj;
        }
    }

    /// <summary>
    /// 16 bf16 weights to f32: zero-extended straight from memory (VPMOVZXWD) and shifted into the f32 position; the same
    /// lanes as Vector512.Widen of a 32-weight load, without its unpack-and-permute sequence.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(ushort* wp) => Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Vector256.Load(wp)), 16).AsSingle();
}
