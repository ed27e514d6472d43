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
        var r = stackalloc Vector512<uint>[16];
        for (int half = 0; half < 2; half++) // 16 rows of W at a time, each read front to back
            for (int q = 0; q < blocks; q++)
            {
                ushort* src = s + (long)half * 16 * ldb + q * 2 * Pairs;
                for (int i = 0; i < 16; i++) r[i] = Avx512F.RotateLeft(Vector512.Load((uint*)(src + (long)i * ldb)), 16);
                Transpose(r);
                uint* dst = d + (long)q * Pairs * Bf16Kernel.NR + half * 16;
                for (int i = 0; i < 16; i++) r[i].Store(dst + (long)i * Bf16Kernel.NR);
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
        var r = stackalloc Vector512<uint>[16];
        for (int i = mr; i < 16; i++) r[i] = Vector512<uint>.Zero;
        var even = Vector512.Create(0u, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odd = even + Vector512<uint>.One;
        for (int q = 0; q < blocks; q++)
        {
            for (int i = 0; i < mr; i++)
            {
                float* src = a + (long)i * lda + q * 2 * Pairs;
                var h0 = RoundHigh(Vector512.Load(src));
                var h1 = RoundHigh(Vector512.Load(src + 16));
                r[i] = Avx512F.PermuteVar16x32x2(h0, even, h1) | (Avx512F.PermuteVar16x32x2(h0, odd, h1) >> 16);
            }
            Transpose(r);
            uint* dst = d + (long)q * Pairs * mr;
            for (int i = 0; i < 16; i++)
            {
                r[i].GetLower().Store(dst + (long)i * mr);
                r[i].GetUpper().GetLower().Store(dst + (long)i * mr + 8);
            }
        }
        return blocks * Pairs;
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

    /// <summary>In-place 16 × 16 transpose of 32-bit words: four butterfly stages, each swapping bit b of the row and column index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(Vector512<uint>* r)
    {
        for (int b = 1; b < 16; b <<= 1)
        {
            var (lo, hi) = StageIndices(b);
            for (int i = 0; i < 16; i++)
            {
                if ((i & b) != 0) continue;
                Vector512<uint> x = r[i], y = r[i + b];
                r[i] = Avx512F.PermuteVar16x32x2(x, lo, y);
                r[i + b] = Avx512F.PermuteVar16x32x2(x, hi, y);
            }
        }
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
