using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Batch-1 decode, y = alpha·x·Wᵀ + beta·y with f32 W stored n×k (rows contiguous): a pure stream of W, bound by memory
/// bandwidth. Four rows of W at a time, two vectors of each per step (eight independent FMA chains, eight loads in
/// flight), each row prefetched a fixed distance ahead in its own stream. Each output is summed in a fixed order
/// (two 16-lane partial sums over k, added, lanes in a fixed order, then the k tail) whoever computes it, and threads
/// take column ranges fixed by n and the thread count, so the bytes do not depend on the thread count.
/// </summary>
internal static unsafe class GemvF32
{
    /// <summary>Bytes of W per thread below which a fork costs more than it saves (a fork is a few µs; 1 MiB streams in ~35 µs).</summary>
    private const long MinBytesPerThread = 1L << 20;

    /// <summary>
    /// How far ahead (elements) each row is prefetched in software; 0 = the hardware prefetchers alone, which won on
    /// Zen 5 (skinny-probe, 4096² and 32000×512: 256–1024 ahead were 15–35 % slower). Internal so the probe can compare.
    /// </summary>
    internal static int PrefetchAhead;

    public static bool Suits(bool transB, int m) => transB && m == 1 && Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    public static void Run(int n, int k, float alpha, float* x, float* w, int ldw, float beta, float* y, int threads)
    {
        long bytes = 4L * n * k;
        int groups = (n + 3) / 4;
        int t = (int)Math.Clamp(bytes / MinBytesPerThread, 1, Math.Max(1, Math.Min(threads, groups)));
        if (t <= 1) { Columns(0, n, k, alpha, x, w, ldw, beta, y); return; }
        // Whole groups of four columns per thread, so every column is computed by the same code path on any thread count.
        // Fixed halves, not chunks claimed from a counter: with W in cache (2048², 2 threads) claiming was ~7 % slower
        // (79–80 against 85–86 GFLOP/s, skinny-blocks), each core no longer reading the same rows call after call.
        GemmWorkers.Run(t, i => Columns((int)Math.Min(n, (long)groups * i / t * 4), (int)Math.Min(n, (long)groups * (i + 1) / t * 4), k, alpha, x, w, ldw, beta, y));
    }

    /// <summary>AggressiveOptimization: tier-0 code of this loop is ~10× slower and on a busy 2-core machine its tier-1 replacement comes late.
    /// Internal for the skinny-blocks probe, which times each thread's half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Columns(int j0, int j1, int k, float alpha, float* x, float* w, int ldw, float beta, float* y)
    {
        int pf = PrefetchAhead;
        int j = j0;
        for (; j + 4 <= j1; j += 4) Four(j, k, pf, alpha, x, w, ldw, beta, y);
        for (; j < j1; j++) One(j, k, alpha, x, w, ldw, beta, y);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Four(int j, int k, int pf, float alpha, float* x, float* w, int ldw, float beta, float* y)
    {
        float* w0 = w + (long)j * ldw, w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw;
        Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        int p = 0;
        for (; p <= k - 32; p += 32)
        {
            if (pf != 0)
            {
                Sse.Prefetch0(w0 + p + pf); Sse.Prefetch0(w1 + p + pf); Sse.Prefetch0(w2 + p + pf); Sse.Prefetch0(w3 + p + pf);
                Sse.Prefetch0(w0 + p + pf + 16); Sse.Prefetch0(w1 + p + pf + 16); Sse.Prefetch0(w2 + p + pf + 16); Sse.Prefetch0(w3 + p + pf + 16);
            }
            var xl = Vector512.Load(x + p); var xh = Vector512.Load(x + p + 16);
            a0 = Avx512F.FusedMultiplyAdd(xl, Vector512.Load(w0 + p), a0); b0 = Avx512F.FusedMultiplyAdd(xh, Vector512.Load(w0 + p + 16), b0);
            a1 = Avx512F.FusedMultiplyAdd(xl, Vector512.Load(w1 + p), a1); b1 = Avx512F.FusedMultiplyAdd(xh, Vector512.Load(w1 + p + 16), b1);
            a2 = Avx512F.FusedMultiplyAdd(xl, Vector512.Load(w2 + p), a2); b2 = Avx512F.FusedMultiplyAdd(xh, Vector512.Load(w2 + p + 16), b2);
            a3 = Avx512F.FusedMultiplyAdd(xl, Vector512.Load(w3 + p), a3); b3 = Avx512F.FusedMultiplyAdd(xh, Vector512.Load(w3 + p + 16), b3);
        }
        Finish(y + j, Sum(a0 + b0), w0, p, k, x, alpha, beta);
        Finish(y + j + 1, Sum(a1 + b1), w1, p, k, x, alpha, beta);
        Finish(y + j + 2, Sum(a2 + b2), w2, p, k, x, alpha, beta);
        Finish(y + j + 3, Sum(a3 + b3), w3, p, k, x, alpha, beta);
    }

    /// <summary>The same sums as <see cref="Four"/> for one column (a tail of fewer than four).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void One(int j, int k, float alpha, float* x, float* w, int ldw, float beta, float* y)
    {
        float* w0 = w + (long)j * ldw;
        Vector512<float> a0 = default, b0 = default;
        int p = 0;
        for (; p <= k - 32; p += 32)
        {
            a0 = Avx512F.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(w0 + p), a0);
            b0 = Avx512F.FusedMultiplyAdd(Vector512.Load(x + p + 16), Vector512.Load(w0 + p + 16), b0);
        }
        Finish(y + j, Sum(a0 + b0), w0, p, k, x, alpha, beta);
    }

    /// <summary>Lanes added in a fixed order (halves, then quarters, then eighths, then the last pair).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sum(Vector512<float> v)
    {
        var h = v.GetLower() + v.GetUpper();
        var q = h.GetLower() + h.GetUpper();
        return q.GetElement(0) + q.GetElement(1) + q.GetElement(2) + q.GetElement(3);
    }

    /// <summary>The k tail in order, then y = alpha·s + beta·y (beta = 0 never reads y).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(float* yj, float s, float* wj, int p, int k, float* x, float alpha, float beta)
    {
        for (; p < k; p++) s = MathF.FusedMultiplyAdd(x[p], wj[p], s);
        *yj = beta == 0f ? alpha * s : alpha * s + beta * *yj;
    }
}
