using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Packing for the bf16 microkernel. Both operands are stored as k-pairs: one 32-bit word holds the bf16 values at
/// k = 2p (HIGH half) and k = 2p + 1 (low half), the operand layout of VDPBF16PS. The even k goes high because the
/// instruction adds the high-half product first: so the sum runs in k order, as in the f32 GEMM, and the two paths
/// give the same bytes on bf16-exact activations (with k even low, results moved by an f32 ulp, and under autocast,
/// where the next matmul rounds its input to bf16, such an ulp can flip a bf16 rounding: 1.2e-3 of the logits of
/// one test model). An odd kc gets a zero low half in its last pair; rows/columns past the edge are zero.
/// A (f32 activations) is rounded to bf16 here, to nearest even; B is bf16 already and is only rearranged.
/// </summary>
internal static unsafe class Bf16Pack
{
    /// <summary>op(A)[i0.., p0..] (mc × kc) into MR-row panels: panel q, pair p, row r at dst[(q·kpairs + p)·MR + r].</summary>
    /// <param name="simd">false forces the scalar loops (tests compare both).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void A(bool transA, float* a, int lda, int i0, int mc, int p0, int kc, uint* dst, bool simd = true)
    {
        int mr = Bf16Kernel.MR, kp = (kc + 1) / 2;
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            uint* d = dst + (long)(ir / mr) * kp * mr;
            int done = !transA && rows == mr && simd && Bf16PackSimd.Supported
                ? Bf16PackSimd.PanelA(a + (long)(i0 + ir) * lda + p0, lda, kc, d) : 0;
            for (int r = 0; r < mr; r++)
            {
                if (r >= rows) { for (int p = done; p < kp; p++) d[(long)p * mr + r] = 0; continue; }
                long i = i0 + ir + r;
                for (int p = done; p < kp; p++)
                {
                    long k0 = p0 + 2 * p;
                    float lo = transA ? a[k0 * lda + i] : a[i * lda + k0];
                    float hi = 2 * p + 1 >= kc ? 0f : transA ? a[(k0 + 1) * lda + i] : a[i * lda + k0 + 1];
                    d[(long)p * mr + r] = (uint)DTypeConvert.FloatToBf16(lo) << 16 | DTypeConvert.FloatToBf16(hi);
                }
            }
        }
    }

    /// <summary>op(B)[p0.., j0..] (kc × nc, bf16) into NR-column panels: panel q, pair p, column j at dst[(q·kpairs + p)·NR + j].</summary>
    /// <param name="simd">false forces the scalar loops (tests compare both).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void B(bool transB, ushort* b, int ldb, int p0, int kc, int j0, int nc, uint* dst, bool simd = true)
    {
        int nr = Bf16Kernel.NR, kp = (kc + 1) / 2;
        bool odd = (kc & 1) != 0;
        for (int jp = 0; jp < nc; jp += nr)
        {
            int cols = Math.Min(nr, nc - jp);
            uint* d = dst + (long)(jp / nr) * kp * nr;
            if (!transB && cols == nr && simd && Vector512.IsHardwareAccelerated)
            {
                PanelOfRows(b + (long)p0 * ldb + j0 + jp, ldb, kc, d);
                continue;
            }
            int done = transB && cols == nr && simd && Bf16PackSimd.Supported ? Bf16PackSimd.PanelB(b + (j0 + jp) * (long)ldb + p0, ldb, kc, d) : 0;
            for (int j = 0; j < nr; j++)
            {
                if (j >= cols) { for (int p = done; p < kp; p++) d[(long)p * nr + j] = 0; continue; }
                long col = j0 + jp + j;
                if (transB)
                {
                    // Column col of op(B) is stored row col of B: its k-pairs are already adjacent in memory.
                    ushort* s = b + col * ldb + p0;
                    int full = kc / 2;
                    for (int p = done; p < full; p++) d[(long)p * nr + j] = Swap(*(uint*)(s + 2 * p));
                    if (odd) d[(long)full * nr + j] = (uint)s[kc - 1] << 16;
                }
                else
                {
                    ushort* s = b + (long)p0 * ldb + col;
                    for (int p = 0; p < kp; p++)
                    {
                        uint lo = s[(long)2 * p * ldb];
                        uint hi = 2 * p + 1 < kc ? s[(long)(2 * p + 1) * ldb] : 0u;
                        d[(long)p * nr + j] = lo << 16 | hi;
                    }
                }
            }
        }
    }

    /// <summary>Memory order (k even in the low half) to the kernel's order (k even in the high half, summed first).</summary>
    private static uint Swap(uint pair) => System.Numerics.BitOperations.RotateLeft(pair, 16);

    /// <summary>
    /// One full NR-column panel of B stored k × n (the autocast backward's G·W): rows 2p and 2p + 1 are read 32 columns
    /// at a time, widened to 32-bit words and merged (row 2p high), two stores per pair instead of 32 strided ones.
    /// </summary>
    private static void PanelOfRows(ushort* s, int ldb, int kc, uint* d)
    {
        int full = kc / 2;
        for (int p = 0; p < full; p++, d += Bf16Kernel.NR)
        {
            var (e0, e1) = Vector512.Widen(Vector512.Load(s + (long)2 * p * ldb));
            var (o0, o1) = Vector512.Widen(Vector512.Load(s + (long)(2 * p + 1) * ldb));
            ((e0 << 16) | o0).Store(d);
            ((e1 << 16) | o1).Store(d + 16);
        }
        if ((kc & 1) != 0)
        {
            var (e0, e1) = Vector512.Widen(Vector512.Load(s + (long)(kc - 1) * ldb));
            (e0 << 16).Store(d);
            (e1 << 16).Store(d + 16);
        }
    }
}
