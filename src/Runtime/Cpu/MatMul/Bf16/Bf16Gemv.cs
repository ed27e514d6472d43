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
    /// How far ahead (weights) each row of W is prefetched in software (0: no look-ahead, the prefetches touch the lines
    /// being loaded). 1024 weights (2 KiB) read 24–25 GB/s on one Zen 5 core against 15–21 GB/s without (gemv-roofline,
    /// W out of cache, 4 runs paired in one process); prefetches never fault, so running past the last row is harmless.
    /// Internal so the bench can compare.
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
    /// AggressiveOptimization (here and on OneRow): without it these start as tier-0 code, about 10× slower (every
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
        if (m == 1) { for (; j < j1; j++) OneRow(j, k, alpha, x, w + (long)j * ldw, beta, y); return; }
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
    /// Batch-1 decode: x against one row of W, 128 weights per step into eight accumulators (chunk i of 16 weights
    /// goes to accumulator i mod 8), summed in a fixed tree, then the k tail. Every m = 1 output takes this path on
    /// any thread count, so the bytes depend on the shape alone.
    /// </summary>
    /// <remarks>
    /// One row at a time, so each thread reads its columns of W as one sequential stream. Four rows at once (four
    /// streams 8 KiB apart) read 27–28 GB/s on one Zen 5 core where this loop reads 38–39 and a plain read-only stream
    /// 42 (4096², W from DRAM, one process; bench/results/cpu-bf16.md, "Decode GEMV at the read roofline"). x stays in
    /// L1 (16 KiB at k = 4096), so reloading it per row is free. The row pointer is bumped rather than indexed: the
    /// indexed form made the JIT recompute every address and prefetch target in the loop.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneRow(int j, int k, float alpha, float* x, ushort* wj, float beta, float* y)
    {
        byte* q = (byte*)wj;
        nint pf = 2 * PrefetchAhead; // bytes
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        float* xp = x, x128 = x + (k & ~127), x16 = x + (k & ~15);
        // Written out (no helper taking the accumulators by ref), so they stay in registers.
        for (; xp < x128; xp += 128, q += 256)
        {
            Sse.Prefetch0(q + pf); Sse.Prefetch0(q + pf + 64); Sse.Prefetch0(q + pf + 128); Sse.Prefetch0(q + pf + 192);
            a0 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp), Widen(q), a0);
            a1 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + 16), Widen(q + 32), a1);
            a2 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + 32), Widen(q + 64), a2);
            a3 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + 48), Widen(q + 96), a3);
            a4 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + 64), Widen(q + 128), a4);
            a5 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + 80), Widen(q + 160), a5);
            a6 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + 96), Widen(q + 192), a6);
            a7 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + 112), Widen(q + 224), a7);
        }
        // Up to seven more 16-weight chunks, each into the accumulator the main loop would have used.
        if (xp < x16) { a0 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp), Widen(q), a0); xp += 16; q += 32; }
        if (xp < x16) { a1 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp), Widen(q), a1); xp += 16; q += 32; }
        if (xp < x16) { a2 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp), Widen(q), a2); xp += 16; q += 32; }
        if (xp < x16) { a3 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp), Widen(q), a3); xp += 16; q += 32; }
        if (xp < x16) { a4 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp), Widen(q), a4); xp += 16; q += 32; }
        if (xp < x16) { a5 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp), Widen(q), a5); xp += 16; q += 32; }
        if (xp < x16) { a6 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp), Widen(q), a6); xp += 16; q += 32; }
        float s = Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
        for (int p = k & ~15; p < k; p++) s += x[p] * DTypeConvert.Bf16ToFloat(wj[p]);
        float* yj = y + j;
        *yj = beta == 0f ? alpha * s : alpha * s + beta * *yj;
    }

    /// <summary>
    /// 16 bf16 weights to f32: zero-extended straight from memory (VPMOVZXWD) and shifted into the f32 position; the same
    /// lanes as Vector512.Widen of a 32-weight load, without its unpack-and-permute sequence.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(byte* wp) => Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Vector256.Load((ushort*)wp)), 16).AsSingle();
}
