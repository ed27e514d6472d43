using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    public static void A(bool transA, float* a, int lda, int i0, int mc, int p0, int kc, uint* dst)
    {
        int mr = Bf16Kernel.MR, kp = (kc + 1) / 2;
        // Untransposed rows are rounded with the vectorised converter into a small buffer, whose 32-bit words are then
        // exactly the row's k-pairs (the scalar path below is 3–5× slower and was a third of a 1024³ product).
        ushort* row = stackalloc ushort[transA ? 0 : 2 * kp];
        bool gather = !transA && Avx2.IsSupported;
        ushort* stage = stackalloc ushort[gather ? mr * 2 * kp : 0];
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            uint* d = dst + (long)(ir / mr) * kp * mr;
            if (gather && rows == mr)
            {
                PanelAByGather(a + (long)(i0 + ir) * lda + p0, lda, kc, kp, stage, d);
                continue;
            }
            for (int r = 0; r < mr; r++)
            {
                if (r >= rows) { for (int p = 0; p < kp; p++) d[(long)p * mr + r] = 0; continue; }
                long i = i0 + ir + r;
                if (!transA)
                {
                    DTypeConvert.FloatToBf16(new ReadOnlySpan<float>(a + i * lda + p0, kc), new Span<ushort>(row, kc));
                    if ((kc & 1) != 0) row[kc] = 0;
                    uint* pairs = (uint*)row;
                    for (int p = 0; p < kp; p++) d[(long)p * mr + r] = Swap(pairs[p]);
                    continue;
                }
                for (int p = 0; p < kp; p++)
                {
                    long k0 = p0 + 2 * p;
                    float lo = a[k0 * lda + i];
                    float hi = 2 * p + 1 >= kc ? 0f : a[(k0 + 1) * lda + i];
                    d[(long)p * mr + r] = (uint)DTypeConvert.FloatToBf16(lo) << 16 | DTypeConvert.FloatToBf16(hi);
                }
            }
        }
    }

    /// <summary>op(B)[p0.., j0..] (kc × nc, bf16) into NR-column panels: panel q, pair p, column j at dst[(q·kpairs + p)·NR + j].</summary>
    public static void B(bool transB, ushort* b, int ldb, int p0, int kc, int j0, int nc, uint* dst)
    {
        int nr = Bf16Kernel.NR, kp = (kc + 1) / 2;
        bool odd = (kc & 1) != 0;
        for (int jp = 0; jp < nc; jp += nr)
        {
            int cols = Math.Min(nr, nc - jp);
            uint* d = dst + (long)(jp / nr) * kp * nr;
            if (transB && cols == nr && GatherSuits(ldb))
            {
                PanelByGather(b + (j0 + jp) * (long)ldb + p0, ldb, kc, d);
                continue;
            }
            if (!transB && cols == nr && Vector512.IsHardwareAccelerated)
            {
                PanelOfRows(b + (long)p0 * ldb + j0 + jp, ldb, kc, d);
                continue;
            }
            for (int j = 0; j < nr; j++)
            {
                if (j >= cols) { for (int p = 0; p < kp; p++) d[(long)p * nr + j] = 0; continue; }
                long col = j0 + jp + j;
                if (transB)
                {
                    // Column col of op(B) is stored row col of B: its k-pairs are already adjacent in memory.
                    ushort* s = b + col * ldb + p0;
                    int full = kc / 2;
                    for (int p = 0; p < full; p++) d[(long)p * nr + j] = Swap(*(uint*)(s + 2 * p));
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
    /// One full MR-row panel of untransposed A: the rows are rounded into a staging block (vectorised converter), then
    /// each pair's 12 words are gathered (8 + 4) and stored together instead of one strided word at a time.
    /// </summary>
    private static void PanelAByGather(float* a, int lda, int kc, int kp, ushort* stage, uint* d)
    {
        int mr = Bf16Kernel.MR;
        for (int r = 0; r < mr; r++)
        {
            ushort* row = stage + (long)r * 2 * kp;
            DTypeConvert.FloatToBf16(new ReadOnlySpan<float>(a + (long)r * lda, kc), new Span<ushort>(row, kc));
            if ((kc & 1) != 0) row[kc] = 0;
        }
        var i0 = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * (4 * kp);
        var i1 = Vector128.Create(8, 9, 10, 11) * (4 * kp);
        uint* w = (uint*)stage;
        for (int p = 0; p < kp; p++, d += mr)
        {
            var lo = Avx2.GatherVector256(w + p, i0, 1);
            var hi = Avx2.GatherVector128(w + p, i1, 1);
            ((lo << 16) | (lo >> 16)).Store(d);
            ((hi << 16) | (hi >> 16)).Store(d + 8);
        }
    }

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

    /// <summary>Byte offsets of 32 rows of B must fit the gather's 32-bit indices.</summary>
    private static bool GatherSuits(int ldb) => System.Runtime.Intrinsics.X86.Avx2.IsSupported && (long)(Bf16Kernel.NR - 1) * ldb * 2 <= int.MaxValue;

    /// <summary>
    /// One full NR-column panel of x·Wᵀ weights (column j = row j of W, its k-pairs adjacent): for each pair, four 8-wide
    /// gathers read the pair of 32 rows and write 32 consecutive words. The scalar loop stored one word at a time with
    /// a 128-byte stride and was ~20 % of a 1024³ product.
    /// </summary>
    private static void PanelByGather(ushort* s, int ldb, int kc, uint* d)
    {
        var step = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * (2 * ldb);
        Vector256<int> i0 = step, i1 = step + Vector256.Create(16 * ldb), i2 = step + Vector256.Create(32 * ldb), i3 = step + Vector256.Create(48 * ldb);
        var rot = Vector256.Create(16u);
        int full = kc / 2;
        byte* bs = (byte*)s;
        for (int p = 0; p < full; p++, bs += 4, d += Bf16Kernel.NR)
        {
            // Memory order has k = 2p low; the kernel wants it high: rotate each word by 16 bits.
            Swap(Avx2.GatherVector256((uint*)bs, i0, 1)).Store(d);
            Swap(Avx2.GatherVector256((uint*)bs, i1, 1)).Store(d + 8);
            Swap(Avx2.GatherVector256((uint*)bs, i2, 1)).Store(d + 16);
            Swap(Avx2.GatherVector256((uint*)bs, i3, 1)).Store(d + 24);
        }
        if ((kc & 1) != 0)
            for (int j = 0; j < Bf16Kernel.NR; j++) d[j] = (uint)s[(long)j * ldb + kc - 1] << 16;
        static Vector256<uint> Swap(Vector256<uint> v) => (v << 16) | (v >> 16);
    }
}
