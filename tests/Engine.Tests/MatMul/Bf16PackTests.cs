using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Tests.CpuGemm;

/// <summary>
/// The bf16 packing (Bf16Pack, with its AVX-512 transposes in Bf16PackSimd and without) against the layout's definition
/// written out here: word (panel q, pair p, lane r) = bf16(x[2p]) in the high half, bf16(x[2p + 1]) (or 0 past an odd
/// kc) in the low half, lanes past the edge zero. Depths around the 16-pair transpose block (tails, odd kc), an edge
/// panel, padded strides (odd for B, so its rows are not 4-byte aligned), and A values that exercise the rounding:
/// ties to even, NaN (kept quiet), infinities, denormals.
/// </summary>
public unsafe class Bf16PackTests
{
    private static readonly int[] Depths = [1, 2, 31, 32, 33, 64, 65, 97, 384];

    [Fact]
    public void TransposesRunOnThisMachine() =>
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, Bf16PackSimd.Supported);

    [Fact]
    public void ActivationsPackToTheirRoundedPairs()
    {
        int mr = Bf16Kernel.MR, mc = 2 * mr + 5, panels = 3;
        foreach (int kc in Depths)
        {
            int lda = kc + 3, p0 = 1;
            var a = Activations(61 + kc, (long)mc * lda + p0 + kc);
            int kp = (kc + 1) / 2;
            foreach (bool simd in new[] { true, false })
            {
                var d = new uint[panels * kp * mr];
                fixed (float* pa = a) fixed (uint* pd = d) Bf16Pack.A(false, pa, lda, 0, mc, p0, kc, pd, simd);
                for (int q = 0; q < panels; q++)
                    for (int p = 0; p < kp; p++)
                        for (int r = 0; r < mr; r++)
                        {
                            int i = q * mr + r;
                            uint expect = i >= mc ? 0u : Pair(Bf(a[(long)i * lda + p0 + 2 * p]), 2 * p + 1 < kc ? Bf(a[(long)i * lda + p0 + 2 * p + 1]) : (ushort)0);
                            uint got = d[((long)q * kp + p) * mr + r];
                            if (got != expect) Assert.Fail($"A kc={kc} simd={simd}: panel {q} pair {p} row {r}: {got:X8}, expected {expect:X8}");
                        }
            }
        }
    }

    [Fact]
    public void WeightsRowsPackToTheirPairs()
    {
        int nr = Bf16Kernel.NR, nc = 2 * nr + 6, panels = 3;
        foreach (int kc in Depths)
        {
            int ldb = kc + 1 + (kc & 1), p0 = 3; // ldb odd, rows start at odd element offsets
            var b = new ushort[(long)nc * ldb + p0 + kc];
            new Random(71 + kc).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(b.AsSpan())); // any bits, NaN patterns included
            int kp = (kc + 1) / 2;
            foreach (bool simd in new[] { true, false })
            {
                var d = new uint[panels * kp * nr];
                fixed (ushort* pb = b) fixed (uint* pd = d) Bf16Pack.B(true, pb, ldb, p0, kc, 0, nc, pd, simd);
                for (int q = 0; q < panels; q++)
                    for (int p = 0; p < kp; p++)
                        for (int j = 0; j < nr; j++)
                        {
                            int col = q * nr + j;
                            uint expect = col >= nc ? 0u : Pair(b[(long)col * ldb + p0 + 2 * p], 2 * p + 1 < kc ? b[(long)col * ldb + p0 + 2 * p + 1] : (ushort)0);
                            uint got = d[((long)q * kp + p) * nr + j];
                            if (got != expect) Assert.Fail($"B kc={kc} simd={simd}: panel {q} pair {p} column {j}: {got:X8}, expected {expect:X8}");
                        }
            }
        }
    }

    private static uint Pair(ushort even, ushort odd) => (uint)even << 16 | odd;

    private static ushort Bf(float x) => DTypeConvert.FloatToBf16(x);

    /// <summary>Random normals with special values sprinkled in: exact ties (bf16 + half an ulp, both parities), NaN, ±∞, denormals.</summary>
    private static float[] Activations(int seed, long count)
    {
        var x = GemmTestData.RandF(seed, count);
        var rng = new Random(seed);
        for (long i = 0; i < count; i++)
            switch (rng.Next(12))
            {
                case 0: x[i] = BitConverter.UInt32BitsToSingle((BitConverter.SingleToUInt32Bits(x[i]) & 0xFFFF0000u) | 0x8000u); break; // tie
                case 1: x[i] = float.NaN; break;
                case 2: x[i] = BitConverter.UInt32BitsToSingle(0x7F812345u); break; // signalling NaN: must come out quiet
                case 3: x[i] = rng.Next(2) == 0 ? float.PositiveInfinity : float.NegativeInfinity; break;
                case 4: x[i] = MathF.ScaleB(x[i], -130); break; // denormal
            }
        return x;
    }
}
