using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Runtime.Cpu;

/// <summary>
/// y = alpha·x·Wᵀ + beta·y for a few rows of x (decode: m = 1–4) and bf16 W stored n×k: memory-bound, so the weights
/// are streamed once, widened to f32 in registers (a shift: exact) and multiplied by f32 x with f32 sums; x is not
/// rounded. Each output is one dot product summed in a fixed order (two 16-lane accumulators over 32-weight steps,
/// then a fixed lane sum, then the k tail), the same for every m, and threads take fixed column ranges, so the bytes
/// depend neither on the thread count nor on how many rows of x share the call.
/// </summary>
internal static unsafe class Bf16Gemv
{
    public const int MaxRows = 4;

    /// <summary>Bytes of weights per thread below which a fork costs more than it saves.</summary>
    private const long MinBytesPerThread = 256 * 1024;

    /// <summary>
    /// How far ahead (weights) the row of W is prefetched in software (0: no look-ahead, the prefetches touch the lines
    /// being loaded). 1024 weights (2 KiB) read 33–34 GB/s on one Zen 5 core against 31–33 with 512 ahead and 31–33
    /// with none (W from DRAM, variants interleaved in one process); prefetches never fault, so running past the last
    /// row is harmless. Internal so the bench can compare.
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

    /// <remarks>AggressiveOptimization as on OneRow: at tier 0 each of the n calls below would cost a slow call.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Columns(int m, int j0, int j1, int k, float alpha, float* x, int ldx, ushort* w, int ldw, float beta, float* y, int ldy)
    {
        switch (m)
        {
            case 1: for (int j = j0; j < j1; j++) OneRow<R1>(j, k, alpha, x, ldx, w + (long)j * ldw, beta, y, ldy); break;
            case 2: for (int j = j0; j < j1; j++) OneRow<R2>(j, k, alpha, x, ldx, w + (long)j * ldw, beta, y, ldy); break;
            case 3: for (int j = j0; j < j1; j++) OneRow<R3>(j, k, alpha, x, ldx, w + (long)j * ldw, beta, y, ldy); break;
            default: for (int j = j0; j < j1; j++) OneRow<R4>(j, k, alpha, x, ldx, w + (long)j * ldw, beta, y, ldy); break;
        }
    }

    /// <summary>
    /// Column j of y for all M rows of x: one row of W streamed once, 64 weights per step. Row i of x has two
    /// accumulators, one for the first and one for the second 16 weights of each 32, in k order.
    /// </summary>
    /// <remarks>
    /// <para>One row of W at a time, so each thread reads its columns of W as one sequential stream. Four rows at once
    /// (four streams 8 KiB apart, the previous loop) read 27–28 GB/s on one Zen 5 core where this reads 33–39 and a
    /// plain read-only stream 37–42 (4096², W from DRAM; bench/results/cpu-bf16.md, "Decode GEMV at the read
    /// roofline"). Eight accumulators instead of two were no faster (1.01 against 1.02 ms), so the order stayed.</para>
    /// <para>Pointers are bumped, not indexed: indexed off one counter, the JIT recomputed every address and prefetch
    /// target inside the loop. M is a type (R1–R4), so the JIT compiles one loop per row count with no branches on it
    /// and keeps the accumulators in registers; the old loop for m &gt; 1 kept them in a stack array and ran 2–2.5×
    /// slower than the f32 GEMM at m = 2 and 4.</para>
    /// <para>AggressiveOptimization: without it this starts as tier-0 code, about 10× slower, and on 2 busy cores the
    /// tier-1 code came after hundreds of calls (bench/results/cpu-bf16.md, "Decode GEMV").</para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneRow<TM>(int j, int k, float alpha, float* x, int ldx, ushort* wj, float beta, float* y, int ldy) where TM : struct, IRowCount
    {
        byte* q = (byte*)wj;
        nint pf = 2 * PrefetchAhead; // bytes
        nint r1 = ldx, r2 = 2 * (nint)ldx, r3 = 3 * (nint)ldx;
        Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        float* xp = x, x64 = x + (k & ~63), x32 = x + (k & ~31);
        // Written out (no helper taking the accumulators by ref), so they stay in registers.
        for (; xp < x64; xp += 64, q += 128)
        {
            Sse.Prefetch0(q + pf); Sse.Prefetch0(q + pf + 64);
            var w0 = Widen(q); var w1 = Widen(q + 32); var w2 = Widen(q + 64); var w3 = Widen(q + 96);
            a0 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp), w0, a0); b0 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + 16), w1, b0);
            a0 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + 32), w2, a0); b0 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + 48), w3, b0);
            if (TM.M > 1)
            {
                float* xi = xp + r1;
                a1 = Avx512F.FusedMultiplyAdd(Vector512.Load(xi), w0, a1); b1 = Avx512F.FusedMultiplyAdd(Vector512.Load(xi + 16), w1, b1);
                a1 = Avx512F.FusedMultiplyAdd(Vector512.Load(xi + 32), w2, a1); b1 = Avx512F.FusedMultiplyAdd(Vector512.Load(xi + 48), w3, b1);
            }
            if (TM.M > 2)
            {
                float* xi = xp + r2;
                a2 = Avx512F.FusedMultiplyAdd(Vector512.Load(xi), w0, a2); b2 = Avx512F.FusedMultiplyAdd(Vector512.Load(xi + 16), w1, b2);
                a2 = Avx512F.FusedMultiplyAdd(Vector512.Load(xi + 32), w2, a2); b2 = Avx512F.FusedMultiplyAdd(Vector512.Load(xi + 48), w3, b2);
            }
            if (TM.M > 3)
            {
                float* xi = xp + r3;
                a3 = Avx512F.FusedMultiplyAdd(Vector512.Load(xi), w0, a3); b3 = Avx512F.FusedMultiplyAdd(Vector512.Load(xi + 16), w1, b3);
                a3 = Avx512F.FusedMultiplyAdd(Vector512.Load(xi + 32), w2, a3); b3 = Avx512F.FusedMultiplyAdd(Vector512.Load(xi + 48), w3, b3);
            }
        }
        if (xp < x32) // one more 32-weight step when k % 64 >= 32, in the same order
        {
            var w0 = Widen(q); var w1 = Widen(q + 32);
            a0 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp), w0, a0); b0 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + 16), w1, b0);
            if (TM.M > 1) { a1 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + r1), w0, a1); b1 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + r1 + 16), w1, b1); }
            if (TM.M > 2) { a2 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + r2), w0, a2); b2 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + r2 + 16), w1, b2); }
            if (TM.M > 3) { a3 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + r3), w0, a3); b3 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + r3 + 16), w1, b3); }
        }
        int k32 = k & ~31;
        Finish(k32, k, alpha, x, wj, beta, y + j, a0, b0);
        if (TM.M > 1) Finish(k32, k, alpha, x + r1, wj, beta, y + j + ldy, a1, b1);
        if (TM.M > 2) Finish(k32, k, alpha, x + r2, wj, beta, y + j + 2L * ldy, a2, b2);
        if (TM.M > 3) Finish(k32, k, alpha, x + r3, wj, beta, y + j + 3L * ldy, a3, b3);
    }

    /// <summary>The lane sum, the k tail and the store of one output. A static method: a local function capturing x, y
    /// or k moved them into a frame struct, and the JIT then spilled the accumulators in the loop.</summary>
    private static void Finish(int k32, int k, float alpha, float* xi, ushort* wj, float beta, float* yij, Vector512<float> lo, Vector512<float> hi)
    {
        float s = Vector512.Sum(lo + hi);
        for (int p = k32; p < k; p++) s += xi[p] * DTypeConvert.Bf16ToFloat(wj[p]);
        *yij = beta == 0f ? alpha * s : alpha * s + beta * *yij;
    }

    /// <summary>
    /// 16 bf16 weights to f32: zero-extended straight from memory (VPMOVZXWD) and shifted into the f32 position; the same
    /// lanes as Vector512.Widen of a 32-weight load, without its unpack-and-permute sequence.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(byte* wp) => Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Vector256.Load((ushort*)wp)), 16).AsSingle();

    /// <summary>Rows of x as a type, so OneRow is compiled once per row count.</summary>
    private interface IRowCount { static abstract int M { get; } }
    private struct R1 : IRowCount { public static int M => 1; }
    private struct R2 : IRowCount { public static int M => 2; }
    private struct R3 : IRowCount { public static int M => 3; }
    private struct R4 : IRowCount { public static int M => 4; }
}
