using System.Runtime.Intrinsics.X86;

namespace Engine.Runtime.Cpu;

/// <summary>
/// The bf16 × bf16 → f32 microkernel: C[12×32] = alpha·Σ_p A_p·B_p + beta·C over k-pairs, on packed operands
/// (Bf16Pack). Two implementations with the same contract: the VDPBF16PS machine code (native/cpu/gemm_bf16_avx512.S)
/// where the CPU has AVX512_BF16, and a managed loop that runs anywhere and is the reference in tests.
/// Arithmetic: each product of two bf16 values is exact in f32; sums are f32. VDPBF16PS adds the high-half product of
/// a pair to the accumulator, rounds, then adds the low-half one and rounds (nearest even), and flushes denormal
/// inputs and outputs to zero. Bf16Pack puts the even k in the high half, so every output is summed k = 0, 1, 2, …
/// with one rounding per term: the f32 FMA kernel's order, hence the same bytes. The managed loop does the same
/// (keeping denormals), and both finish with fma(acc, alpha, beta·C) as the f32 kernel does.
/// </summary>
internal static unsafe class Bf16Kernel
{
    public const int MR = 12, NR = 32;

    private static readonly delegate* unmanaged[Cdecl]<long, uint*, uint*, float*, long, float, float, void> Native = LoadNative();

    /// <summary>Why the machine-code kernel is unavailable, or null when it is in use.</summary>
    public static string? UnavailableReason { get; private set; }

    /// <summary>True when the CPU has AVX512_BF16 and the machine code is loaded.</summary>
    public static bool NativeSupported => Native != null;

    /// <summary>CPUID leaf 7 sub-leaf 1, EAX bit 5: AVX512_BF16 (VDPBF16PS, VCVTNE2PS2BF16).</summary>
    public static bool CpuHasAvx512Bf16()
    {
        if (!X86Base.IsSupported || !Avx512F.IsSupported) return false; // Avx512F also means the OS saves zmm state
        var (maxLeaf, _, _, _) = X86Base.CpuId(0, 0);
        if (maxLeaf < 7) return false;
        var (eax, _, _, _) = X86Base.CpuId(7, 1);
        return (eax & (1 << 5)) != 0;
    }

    private static delegate* unmanaged[Cdecl]<long, uint*, uint*, float*, long, float, float, void> LoadNative()
    {
        if (!CpuHasAvx512Bf16()) { UnavailableReason = "the CPU lacks AVX512_BF16"; return null; }
        void* code = ExecutableCode.Load(Bf16KernelCode.Avx512Bf16_12x32);
        if (code == null) { UnavailableReason = ExecutableCode.LastError; return null; }
        return (delegate* unmanaged[Cdecl]<long, uint*, uint*, float*, long, float, float, void>)code;
    }

    /// <summary>One full 12×32 tile. kpairs = ⌈kc/2⌉; ldc in floats; beta == 0 never reads C.</summary>
    public static void Run(bool native, long kpairs, uint* a, uint* b, float* c, long ldc, float alpha, float beta)
    {
        if (native) Native(kpairs, a, b, c, ldc, alpha, beta);
        else Portable(kpairs, a, b, c, ldc, alpha, beta);
    }

    /// <summary>The managed kernel: same packed layout and the same pair order as the machine code.</summary>
    public static void Portable(long kpairs, uint* a, uint* b, float* c, long ldc, float alpha, float beta)
    {
        float* acc = stackalloc float[MR * NR];
        new Span<float>(acc, MR * NR).Clear();
        for (long p = 0; p < kpairs; p++, a += MR, b += NR)
            for (int r = 0; r < MR; r++)
            {
                float a0 = Hi(a[r]), a1 = Lo(a[r]); // a0: k = 2p (high half), a1: k = 2p + 1
                float* row = acc + r * NR;
                for (int j = 0; j < NR; j++)
                    row[j] = row[j] + a0 * Hi(b[j]) + a1 * Lo(b[j]); // high half (even k) first, as VDPBF16PS
            }
        for (int r = 0; r < MR; r++)
        {
            float* cr = c + r * ldc, row = acc + r * NR;
            for (int j = 0; j < NR; j++) cr[j] = beta == 0f ? alpha * row[j] : MathF.FusedMultiplyAdd(row[j], alpha, beta * cr[j]);
        }
    }

    private static float Lo(uint pair) => BitConverter.Int32BitsToSingle((int)(pair << 16));
    private static float Hi(uint pair) => BitConverter.Int32BitsToSingle((int)(pair & 0xFFFF0000u));
}
