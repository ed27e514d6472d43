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

    /// <summary>Rows of x (f32) that fit in L1 next to the streamed W: beyond this, m &gt; 1 blocks k (KBlocked).</summary>
    private const int XBytesInL1 = 24 * 1024;

    /// <summary>Columns of W per k-blocked group: their partial sums wait in a small stack array between k blocks.</summary>
    private const int ColumnGroup = 8;

    /// <remarks>
    /// AggressiveOptimization on every method here that runs per column (see Steps): at tier 0 each Vector512 helper is
    /// a call, and on 2 busy cores the tier-1 code comes late (bench/results/cpu-bf16.md, "Decode GEMV").
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Columns(int m, int j0, int j1, int k, float alpha, float* x, int ldx, ushort* w, int ldw, float beta, float* y, int ldy)
    {
        if (m == 1) { OneRowOfX(j0, j1, k, alpha, x, w, ldw, beta, y); return; }
        if (4L * m * k > XBytesInL1) { KBlocked(m, j0, j1, k, alpha, x, ldx, w, ldw, beta, y, ldy); return; }
        var acc = stackalloc Vector512<float>[2 * MaxRows];
        int k64 = k & ~63;
        for (int j = j0; j < j1; j++)
        {
            ushort* wj = w + (long)j * ldw;
            new Span<Vector512<float>>(acc, 2 * m).Clear();
            StepsFor(m, acc, x, ldx, 0, k64, wj);
            Finish(m, acc, k, alpha, x, ldx, wj, beta, y + j, ldy);
        }
    }

    /// <summary>
    /// m = 1 (batch-1 decode), columns j0..j1: Steps and Finish for one row of x, written as one loop over the columns
    /// so the accumulators never leave registers. At k = 512 a row of W is 1 KiB, about 30 ns of reading, and the general
    /// path's per-column calls, stack round trip and lane-sum call took about as long again: 32000×512 read 22 GB/s.
    /// The same summation order as Steps and Finish (a test holds m = 1 against m = 2–4 byte for byte).
    /// </summary>
    /// <remarks>
    /// One row of W at a time, so each thread reads its columns of W as one sequential stream. Four rows at once (four
    /// streams 8 KiB apart, the previous loop) read 27–28 GB/s on one Zen 5 core where one row reads 33–39 and a plain
    /// read-only stream 37–42 (4096², W from DRAM; bench/results/cpu-bf16.md, "Decode GEMV at the read roofline").
    /// Eight accumulators instead of two were no faster (1.01 against 1.02 ms), so the summation order stayed.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneRowOfX(int j0, int j1, int k, float alpha, float* x, ushort* w, int ldw, float beta, float* y)
    {
        nint pf = 2 * PrefetchAhead; // bytes
        float* x64 = x + (k & ~63);
        int k64 = k & ~63, k32 = k & ~31;
        for (int j = j0; j < j1; j++)
        {
            ushort* wj = w + (long)j * ldw;
            byte* q = (byte*)wj;
            Vector512<float> a0 = default, b0 = default;
            for (float* xp = x; xp < x64; xp += 64, q += 128)
            {
                Sse.Prefetch0(q + pf); Sse.Prefetch0(q + pf + 64);
                a0 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp), Widen(q), a0); b0 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + 16), Widen(q + 32), b0);
                a0 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + 32), Widen(q + 64), a0); b0 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + 48), Widen(q + 96), b0);
            }
            if (k64 < k32)
            {
                a0 = Avx512F.FusedMultiplyAdd(Vector512.Load(x + k64), Widen(q), a0);
                b0 = Avx512F.FusedMultiplyAdd(Vector512.Load(x + k64 + 16), Widen(q + 32), b0);
            }
            float s = Vector512.Sum(a0 + b0);
            for (int p = k32; p < k; p++) s += x[p] * DTypeConvert.Bf16ToFloat(wj[p]);
            float* yj = y + j;
            *yj = beta == 0f ? alpha * s : alpha * s + beta * *yj;
        }
    }

    /// <summary>
    /// m &gt; 1 rows of x too large for L1 next to W (4·m·k bytes above 24 KiB, e.g. m = 4 at k = 4096: 64 KiB): a group
    /// of 8 columns walks k in blocks whose x rows fit, keeping each column's accumulators between blocks. Each
    /// accumulator still takes its 16-weight chunks in k order, so the bytes are those of the unblocked loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KBlocked(int m, int j0, int j1, int k, float alpha, float* x, int ldx, ushort* w, int ldw, float beta, float* y, int ldy)
    {
        int kb = Math.Max(64, XBytesInL1 / (4 * m) & ~63), k64 = k & ~63;
        var acc = stackalloc Vector512<float>[ColumnGroup * 2 * MaxRows];
        for (int jg = j0; jg < j1; jg += ColumnGroup)
        {
            int cols = Math.Min(ColumnGroup, j1 - jg);
            new Span<Vector512<float>>(acc, cols * 2 * m).Clear();
            for (int p0 = 0; p0 < k64; p0 += kb)
                for (int c = 0; c < cols; c++) StepsFor(m, acc + c * 2 * m, x, ldx, p0, Math.Min(p0 + kb, k64), w + (long)(jg + c) * ldw);
            for (int c = 0; c < cols; c++) Finish(m, acc + c * 2 * m, k, alpha, x, ldx, w + (long)(jg + c) * ldw, beta, y + jg + c, ldy);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StepsFor(int m, Vector512<float>* acc, float* x, int ldx, int p0, int p1, ushort* wj)
    {
        switch (m)
        {
            case 2: Steps<R2>(acc, x, ldx, p0, p1, wj); break;
            case 3: Steps<R3>(acc, x, ldx, p0, p1, wj); break;
            default: Steps<R4>(acc, x, ldx, p0, p1, wj); break;
        }
    }

    /// <summary>
    /// Weights [p0, p1) of one row of W (both multiples of 64) against all M = 2–4 rows of x (m = 1 is OneRowOfX), 64
    /// weights per step, one row of W at a time as OneRowOfX reads it. Row i of
    /// x has two accumulators, acc[2i] for the first and acc[2i + 1] for the second 16 weights of each 32, in k order;
    /// they are loaded into registers here and stored back at the end.
    /// </summary>
    /// <remarks>
    /// <para>Pointers are bumped, not indexed: indexed off one counter, the JIT recomputed every address and prefetch
    /// target inside the loop. M is a type (R2–R4), so the JIT compiles one loop per row count with no branches on it
    /// and keeps the accumulators in registers; the old loop for m &gt; 1 kept them in a stack array and ran 2–2.5×
    /// slower than the f32 GEMM at m = 2 and 4.</para>
    /// <para>AggressiveOptimization: without it this starts as tier-0 code, about 10× slower, and on 2 busy cores the
    /// tier-1 code came after hundreds of calls (bench/results/cpu-bf16.md, "Decode GEMV").</para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Steps<TM>(Vector512<float>* acc, float* x, int ldx, int p0, int p1, ushort* wj) where TM : struct, IRowCount
    {
        byte* q = (byte*)(wj + p0);
        nint pf = 2 * PrefetchAhead; // bytes
        nint r1 = ldx, r2 = 2 * (nint)ldx, r3 = 3 * (nint)ldx;
        Vector512<float> a0 = acc[0], b0 = acc[1], a1 = acc[2], b1 = acc[3], a2 = default, b2 = default, a3 = default, b3 = default;
        if (TM.M > 2) { a2 = acc[4]; b2 = acc[5]; }
        if (TM.M > 3) { a3 = acc[6]; b3 = acc[7]; }
        // Written out (no helper taking the accumulators by ref), so they stay in registers.
        for (float* xp = x + p0, xe = x + p1; xp < xe; xp += 64, q += 128)
        {
            Sse.Prefetch0(q + pf); Sse.Prefetch0(q + pf + 64);
            var w0 = Widen(q); var w1 = Widen(q + 32); var w2 = Widen(q + 64); var w3 = Widen(q + 96);
            a0 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp), w0, a0); b0 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + 16), w1, b0);
            a0 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + 32), w2, a0); b0 = Avx512F.FusedMultiplyAdd(Vector512.Load(xp + 48), w3, b0);
            float* x1 = xp + r1;
            a1 = Avx512F.FusedMultiplyAdd(Vector512.Load(x1), w0, a1); b1 = Avx512F.FusedMultiplyAdd(Vector512.Load(x1 + 16), w1, b1);
            a1 = Avx512F.FusedMultiplyAdd(Vector512.Load(x1 + 32), w2, a1); b1 = Avx512F.FusedMultiplyAdd(Vector512.Load(x1 + 48), w3, b1);
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
        acc[0] = a0; acc[1] = b0; acc[2] = a1; acc[3] = b1;
        if (TM.M > 2) { acc[4] = a2; acc[5] = b2; }
        if (TM.M > 3) { acc[6] = a3; acc[7] = b3; }
    }

    /// <summary>
    /// After Steps over [0, k &amp; ~63): one more 32-weight step when k % 64 ≥ 32 (same order), then for each row of x
    /// the lane sum, the k tail and the store. A static method, not a local function: a local function capturing x, y
    /// or k moved them into a frame struct, and the JIT then spilled the accumulators in the loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Finish(int m, Vector512<float>* acc, int k, float alpha, float* x, int ldx, ushort* wj, float beta, float* yj, int ldy)
    {
        int k64 = k & ~63, k32 = k & ~31;
        for (int i = 0; i < m; i++)
        {
            float* xi = x + (long)i * ldx;
            Vector512<float> lo = acc[2 * i], hi = acc[2 * i + 1];
            if (k64 < k32)
            {
                lo = Avx512F.FusedMultiplyAdd(Vector512.Load(xi + k64), Widen((byte*)(wj + k64)), lo);
                hi = Avx512F.FusedMultiplyAdd(Vector512.Load(xi + k64 + 16), Widen((byte*)(wj + k64 + 16)), hi);
            }
            float s = Vector512.Sum(lo + hi);
            for (int p = k32; p < k; p++) s += xi[p] * DTypeConvert.Bf16ToFloat(wj[p]);
            float* yij = yj + (long)i * ldy;
            *yij = beta == 0f ? alpha * s : alpha * s + beta * *yij;
        }
    }

    /// <summary>
    /// 16 bf16 weights to f32: zero-extended straight from memory (VPMOVZXWD) and shifted into the f32 position; the same
    /// lanes as Vector512.Widen of a 32-weight load, without its unpack-and-permute sequence.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(byte* wp) => Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Vector256.Load((ushort*)wp)), 16).AsSingle();

    /// <summary>Rows of x (2–4) as a type, so Steps is compiled once per row count.</summary>
    private interface IRowCount { static abstract int M { get; } }
    private struct R2 : IRowCount { public static int M => 2; }
    private struct R3 : IRowCount { public static int M => 3; }
    private struct R4 : IRowCount { public static int M => 4; }
}
