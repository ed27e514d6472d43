using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Tests.CpuGemm;

/// <summary>
/// The bf16-weight entry's choice of route by shape (Gemm.Bf16Weights): under MinDotWork multiply-adds it keeps the
/// widening path (measured faster there), from it on the VDPBF16PS path runs where the CPU has it (Bf16Gemm.Calls moves;
/// the counter is process-wide, so "it did not run" is read from the shape rule, not the counter); both give the widening
/// path's bytes on bf16-exact activations. dot = false is what a CPU without AVX512_BF16 gets (Bf16Compute.Active).
/// </summary>
public unsafe class Bf16DispatchTests
{
    [Theory]
    [InlineData(24, 24, 24, false)]  // 13 824 < 2^14
    [InlineData(16, 16, 32, false)]
    [InlineData(16, 16, 64, true)]   // 16 384 = 2^14
    [InlineData(40, 33, 100, true)]
    public void SmallProductsKeepTheWideningPath(int m, int n, int k, bool dotExpected)
    {
        Assert.Equal(dotExpected, Gemm.DotSuits(m, n, k));
        var a = GemmTestData.RandF(81, (long)m * k).Select(v => DTypeConvert.Bf16ToFloat(DTypeConvert.FloatToBf16(v))).ToArray();
        var b = GemmTestData.RandF(82, (long)n * k).Select(DTypeConvert.FloatToBf16).ToArray();
        var wide = new float[m * n];
        fixed (float* pa = a, pc = wide) fixed (ushort* pb = b) Gemm.SgemmBf16B(false, true, m, n, k, 1f, pa, k, pb, k, 0f, pc, n);
        foreach (bool dot in new[] { false, Bf16Kernel.NativeSupported })
        {
            var c = new float[m * n];
            long before = Interlocked.Read(ref Bf16Gemm.Calls);
            fixed (float* pa = a, pc = c) fixed (ushort* pb = b) Gemm.Bf16Weights(dot, false, true, m, n, k, 1f, pa, k, pb, k, 0f, pc, n);
            bool ran = Interlocked.Read(ref Bf16Gemm.Calls) > before;
            if (dot && dotExpected) Assert.True(ran, $"{m}x{n}x{k}: the VDPBF16PS path must run");
            Assert.True(c.AsSpan().SequenceEqual(wide), $"{m}x{n}x{k} dot={dot}: bytes differ from the widening path");
        }
    }
}
