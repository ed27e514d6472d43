using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Runtime.Cpu;

/// <summary>
/// AVX-512 packing of full Bf16Pack panels by 16 × 16 word transposes in registers: 16 rows of 16 k-pairs (one 64-byte
/// load each) become 16 pairs of 16 rows (one store each). The gathers used before read 4 bytes per element from 8–32
/// rows at once and made packing B cost 1.3–2.4× the f32 GEMM's B packing (x·Wᵀ, 1024–2048); the transposes read
/// whole cache lines. Same words as the scalar loops in Bf16Pack (tests compare them byte for byte).
/// </summary>
internal static unsafe class Bf16PackSimd
{
    /// <summary>k-pairs handled per transpose.</summary>
    public const int Pairs = 16;

    public static bool Supported => Avx512F.IsSupported;

    /// <summary>
    /// Pairs [0, full/16·16) of one 32-column panel of x·Wᵀ weights: column j is row j of W (s + j·ldb), its pairs adjacent
    /// in memory with k = 2p low; the kernel wants k = 2p high, so each word is rotated by 16 bits. Returns the pairs done.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int PanelB(ushort* s, int ldb, int kc, uint* d)
    {
        int blocks = kc / 2 / Pairs;
        long ld = ldb;
        for (int half = 0; half < 2; half++) // 16 rows of W at a time, each read front to back
            for (int q = 0; q < blocks; q++)
            {
                ushort* src = s + half * 16 * ld + q * 2 * Pairs;
                var r0 = Avx512F.RotateLeft(Vector512.Load((uint*)(src + 0 * ld)), 16);
                var r1 = Avx512F.RotateLeft(Vector512.Load((uint*)(src + 1 * ld)), 16);
                var r2 = Avx512F.RotateLeft(Vector512.Load((uint*)(src + 2 * ld)), 16);
                var r3 = Avx512F.RotateLeft(Vector512.Load((uint*)(src + 3 * ld)), 16);
                var r4 = Avx512F.RotateLeft(Vector512.Load((uint*)(src + 4 * ld)), 16);
                var r5 = Avx512F.RotateLeft(Vector512.Load((uint*)(src + 5 * ld)), 16);
                var r6 = Avx512F.RotateLeft(Vector512.Load((uint*)(src + 6 * ld)), 16);
                var r7 = Avx512F.RotateLeft(Vector512.Load((uint*)(src + 7 * ld)), 16);
                var r8 = Avx512F.RotateLeft(Vector512.Load((uint*)(src + 8 * ld)), 16);
                var r9 = Avx512F.RotateLeft(Vector512.Load((uint*)(src + 9 * ld)), 16);
                var r10 = Avx512F.RotateLeft(Vector512.Load((uint*)(src + 10 * ld)), 16);
                var r11 = Avx512F.RotateLeft(Vector512.Load((uint*)(src + 11 * ld)), 16);
                var r12 = Avx512F.RotateLeft(Vector512.Load((uint*)(src + 12 * ld)), 16);
                var r13 = Avx512F.RotateLeft(Vector512.Load((uint*)(src + 13 * ld)), 16);
                var r14 = Avx512F.RotateLeft(Vector512.Load((uint*)(src + 14 * ld)), 16);
                var r15 = Avx512F.RotateLeft(Vector512.Load((uint*)(src + 15 * ld)), 16);
                Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7, ref r8, ref r9, ref r10, ref r11, ref r12, ref r13, ref r14, ref r15);
                uint* dst = d + (long)q * Pairs * Bf16Kernel.NR + half * 16;
                r0.Store(dst + 0 * Bf16Kernel.NR);
                r1.Store(dst + 1 * Bf16Kernel.NR);
                r2.Store(dst + 2 * Bf16Kernel.NR);
                r3.Store(dst + 3 * Bf16Kernel.NR);
                r4.Store(dst + 4 * Bf16Kernel.NR);
                r5.Store(dst + 5 * Bf16Kernel.NR);
                r6.Store(dst + 6 * Bf16Kernel.NR);
                r7.Store(dst + 7 * Bf16Kernel.NR);
                r8.Store(dst + 8 * Bf16Kernel.NR);
                r9.Store(dst + 9 * Bf16Kernel.NR);
                r10.Store(dst + 10 * Bf16Kernel.NR);
                r11.Store(dst + 11 * Bf16Kernel.NR);
                r12.Store(dst + 12 * Bf16Kernel.NR);
                r13.Store(dst + 13 * Bf16Kernel.NR);
                r14.Store(dst + 14 * Bf16Kernel.NR);
                r15.Store(dst + 15 * Bf16Kernel.NR);
            }
        return blocks * Pairs;
    }

    /// <summary>
    /// Pairs [0, full/16·16) of one full 12-row panel of untransposed f32 A: each row's 32 floats are rounded to bf16
    /// (nearest even, NaN kept quiet: DTypeConvert.FloatToBf16) and paired (k = 2p high), then the 12 rows are transposed.
    /// Returns the pairs done.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int PanelA(float* a, int lda, int kc, uint* d)
    {
        int mr = Bf16Kernel.MR, blocks = kc / 2 / Pairs;
        long ld = lda;
        var even = Vector512.Create(0u, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odd = even + Vector512<uint>.One;
        for (int q = 0; q < blocks; q++)
        {
            float* src = a + q * 2 * Pairs;
            var r0 = Row(src + 0 * ld, even, odd);
            var r1 = Row(src + 1 * ld, even, odd);
            var r2 = Row(src + 2 * ld, even, odd);
            var r3 = Row(src + 3 * ld, even, odd);
            var r4 = Row(src + 4 * ld, even, odd);
            var r5 = Row(src + 5 * ld, even, odd);
            var r6 = Row(src + 6 * ld, even, odd);
            var r7 = Row(src + 7 * ld, even, odd);
            var r8 = Row(src + 8 * ld, even, odd);
            var r9 = Row(src + 9 * ld, even, odd);
            var r10 = Row(src + 10 * ld, even, odd);
            var r11 = Row(src + 11 * ld, even, odd);
            var r12 = Vector512<uint>.Zero;
            var r13 = Vector512<uint>.Zero;
            var r14 = Vector512<uint>.Zero;
            var r15 = Vector512<uint>.Zero;
            Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7, ref r8, ref r9, ref r10, ref r11, ref r12, ref r13, ref r14, ref r15);
            uint* dst = d + (long)q * Pairs * mr;
            r0.GetLower().Store(dst + 0 * mr); r0.GetUpper().GetLower().Store(dst + 0 * mr + 8);
            r1.GetLower().Store(dst + 1 * mr); r1.GetUpper().GetLower().Store(dst + 1 * mr + 8);
            r2.GetLower().Store(dst + 2 * mr); r2.GetUpper().GetLower().Store(dst + 2 * mr + 8);
            r3.GetLower().Store(dst + 3 * mr); r3.GetUpper().GetLower().Store(dst + 3 * mr + 8);
            r4.GetLower().Store(dst + 4 * mr); r4.GetUpper().GetLower().Store(dst + 4 * mr + 8);
            r5.GetLower().Store(dst + 5 * mr); r5.GetUpper().GetLower().Store(dst + 5 * mr + 8);
            r6.GetLower().Store(dst + 6 * mr); r6.GetUpper().GetLower().Store(dst + 6 * mr + 8);
            r7.GetLower().Store(dst + 7 * mr); r7.GetUpper().GetLower().Store(dst + 7 * mr + 8);
            r8.GetLower().Store(dst + 8 * mr); r8.GetUpper().GetLower().Store(dst + 8 * mr + 8);
            r9.GetLower().Store(dst + 9 * mr); r9.GetUpper().GetLower().Store(dst + 9 * mr + 8);
            r10.GetLower().Store(dst + 10 * mr); r10.GetUpper().GetLower().Store(dst + 10 * mr + 8);
            r11.GetLower().Store(dst + 11 * mr); r11.GetUpper().GetLower().Store(dst + 11 * mr + 8);
            r12.GetLower().Store(dst + 12 * mr); r12.GetUpper().GetLower().Store(dst + 12 * mr + 8);
            r13.GetLower().Store(dst + 13 * mr); r13.GetUpper().GetLower().Store(dst + 13 * mr + 8);
            r14.GetLower().Store(dst + 14 * mr); r14.GetUpper().GetLower().Store(dst + 14 * mr + 8);
            r15.GetLower().Store(dst + 15 * mr); r15.GetUpper().GetLower().Store(dst + 15 * mr + 8);
        }
        return blocks * Pairs;
    }

    /// <summary>32 floats of one row → its 16 k-pairs (k = 2p high).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Row(float* src, Vector512<uint> even, Vector512<uint> odd)
    {
        var h0 = RoundHigh(Vector512.Load(src));
        var h1 = RoundHigh(Vector512.Load(src + 16));
        return Avx512F.PermuteVar16x32x2(h0, even, h1) | (Avx512F.PermuteVar16x32x2(h0, odd, h1) >> 16);
    }

    /// <summary>f32 → bf16 in the high half of each word (low half zero), exactly as DTypeConvert.FloatToBf16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> RoundHigh(Vector512<float> f)
    {
        var bits = f.AsUInt32();
        var rounded = bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One);
        var quiet = bits | Vector512.Create(0x400000u);
        return Vector512.ConditionalSelect(Vector512.Equals(f, f).AsUInt32(), rounded, quiet) & Vector512.Create(0xFFFF0000u);
    }

    /// <summary>
    /// In-place 16 × 16 transpose of 32-bit words held in registers (a stack array of vectors made the transposes wait on
    /// store forwarding: packing A took 1.7× the f32 GEMM's): four butterfly stages, each swapping bit b of the row and
    /// column index.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(ref Vector512<uint> r0, ref Vector512<uint> r1, ref Vector512<uint> r2, ref Vector512<uint> r3, ref Vector512<uint> r4, ref Vector512<uint> r5, ref Vector512<uint> r6, ref Vector512<uint> r7, ref Vector512<uint> r8, ref Vector512<uint> r9, ref Vector512<uint> r10, ref Vector512<uint> r11, ref Vector512<uint> r12, ref Vector512<uint> r13, ref Vector512<uint> r14, ref Vector512<uint> r15)
    {
        Vector512<uint> lo, hi;
        (lo, hi) = StageIndices(1);
        (r0, r1) = (Avx512F.PermuteVar16x32x2(r0, lo, r1), Avx512F.PermuteVar16x32x2(r0, hi, r1));
        (r2, r3) = (Avx512F.PermuteVar16x32x2(r2, lo, r3), Avx512F.PermuteVar16x32x2(r2, hi, r3));
        (r4, r5) = (Avx512F.PermuteVar16x32x2(r4, lo, r5), Avx512F.PermuteVar16x32x2(r4, hi, r5));
        (r6, r7) = (Avx512F.PermuteVar16x32x2(r6, lo, r7), Avx512F.PermuteVar16x32x2(r6, hi, r7));
        (r8, r9) = (Avx512F.PermuteVar16x32x2(r8, lo, r9), Avx512F.PermuteVar16x32x2(r8, hi, r9));
        (r10, r11) = (Avx512F.PermuteVar16x32x2(r10, lo, r11), Avx512F.PermuteVar16x32x2(r10, hi, r11));
        (r12, r13) = (Avx512F.PermuteVar16x32x2(r12, lo, r13), Avx512F.PermuteVar16x32x2(r12, hi, r13));
        (r14, r15) = (Avx512F.PermuteVar16x32x2(r14, lo, r15), Avx512F.PermuteVar16x32x2(r14, hi, r15));
        (lo, hi) = StageIndices(2);
        (r0, r2) = (Avx512F.PermuteVar16x32x2(r0, lo, r2), Avx512F.PermuteVar16x32x2(r0, hi, r2));
        (r1, r3) = (Avx512F.PermuteVar16x32x2(r1, lo, r3), Avx512F.PermuteVar16x32x2(r1, hi, r3));
        (r4, r6) = (Avx512F.PermuteVar16x32x2(r4, lo, r6), Avx512F.PermuteVar16x32x2(r4, hi, r6));
        (r5, r7) = (Avx512F.PermuteVar16x32x2(r5, lo, r7), Avx512F.PermuteVar16x32x2(r5, hi, r7));
        (r8, r10) = (Avx512F.PermuteVar16x32x2(r8, lo, r10), Avx512F.PermuteVar16x32x2(r8, hi, r10));
        (r9, r11) = (Avx512F.PermuteVar16x32x2(r9, lo, r11), Avx512F.PermuteVar16x32x2(r9, hi, r11));
        (r12, r14) = (Avx512F.PermuteVar16x32x2(r12, lo, r14), Avx512F.PermuteVar16x32x2(r12, hi, r14));
        (r13, r15) = (Avx512F.PermuteVar16x32x2(r13, lo, r15), Avx512F.PermuteVar16x32x2(r13, hi, r15));
        (lo, hi) = StageIndices(4);
        (r0, r4) = (Avx512F.PermuteVar16x32x2(r0, lo, r4), Avx512F.PermuteVar16x32x2(r0, hi, r4));
        (r1, r5) = (Avx512F.PermuteVar16x32x2(r1, lo, r5), Avx512F.PermuteVar16x32x2(r1, hi, r5));
        (r2, r6) = (Avx512F.PermuteVar16x32x2(r2, lo, r6), Avx512F.PermuteVar16x32x2(r2, hi, r6));
        (r3, r7) = (Avx512F.PermuteVar16x32x2(r3, lo, r7), Avx512F.PermuteVar16x32x2(r3, hi, r7));
        (r8, r12) = (Avx512F.PermuteVar16x32x2(r8, lo, r12), Avx512F.PermuteVar16x32x2(r8, hi, r12));
        (r9, r13) = (Avx512F.PermuteVar16x32x2(r9, lo, r13), Avx512F.PermuteVar16x32x2(r9, hi, r13));
        (r10, r14) = (Avx512F.PermuteVar16x32x2(r10, lo, r14), Avx512F.PermuteVar16x32x2(r10, hi, r14));
        (r11, r15) = (Avx512F.PermuteVar16x32x2(r11, lo, r15), Avx512F.PermuteVar16x32x2(r11, hi, r15));
        (lo, hi) = StageIndices(8);
        (r0, r8) = (Avx512F.PermuteVar16x32x2(r0, lo, r8), Avx512F.PermuteVar16x32x2(r0, hi, r8));
        (r1, r9) = (Avx512F.PermuteVar16x32x2(r1, lo, r9), Avx512F.PermuteVar16x32x2(r1, hi, r9));
        (r2, r10) = (Avx512F.PermuteVar16x32x2(r2, lo, r10), Avx512F.PermuteVar16x32x2(r2, hi, r10));
        (r3, r11) = (Avx512F.PermuteVar16x32x2(r3, lo, r11), Avx512F.PermuteVar16x32x2(r3, hi, r11));
        (r4, r12) = (Avx512F.PermuteVar16x32x2(r4, lo, r12), Avx512F.PermuteVar16x32x2(r4, hi, r12));
        (r5, r13) = (Avx512F.PermuteVar16x32x2(r5, lo, r13), Avx512F.PermuteVar16x32x2(r5, hi, r13));
        (r6, r14) = (Avx512F.PermuteVar16x32x2(r6, lo, r14), Avx512F.PermuteVar16x32x2(r6, hi, r14));
        (r7, r15) = (Avx512F.PermuteVar16x32x2(r7, lo, r15), Avx512F.PermuteVar16x32x2(r7, hi, r15));
    }

    /// <summary>Stage b: row i keeps its words with bit b of j clear and takes row i+b's j−b; row i+b takes row i's j+b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<uint> Lo, Vector512<uint> Hi) StageIndices(int b) => b switch
    {
        1 => (Vector512.Create(0u, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30), Vector512.Create(1u, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31)),
        2 => (Vector512.Create(0u, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29), Vector512.Create(2u, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31)),
        4 => (Vector512.Create(0u, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27), Vector512.Create(4u, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31)),
        _ => (Vector512.Create(0u, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23), Vector512.Create(8u, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31)),
    };
}
