using Engine.Runtime.Cpu;

namespace Engine.Tests.CpuGemm;

/// <summary>The GEMM tuning table on synthetic CPU descriptions, the override, and the CPUID/sysfs parsing it relies on.</summary>
public class GemmTuningTests
{
    private static readonly GemmCpu Zen4 = new("AuthenticAMD", 0x19, 0x11, true, true, 32 * 1024, 1024 * 1024);
    private static readonly GemmCpu Zen5 = new("AuthenticAMD", 0x1A, 0x02, true, true, 48 * 1024, 1024 * 1024);
    private static readonly GemmCpu SapphireRapids = new("GenuineIntel", 6, 0x8F, true, true, 48 * 1024, 2048 * 1024);
    private static readonly GemmCpu Zen3 = new("AuthenticAMD", 0x19, 0x01, false, true, 32 * 1024, 512 * 1024);
    private static readonly GemmCpu NoAvx2 = new("GenuineIntel", 6, 0x2A, false, false, 32 * 1024, 256 * 1024);

    [Fact]
    public void TablePicksTheRowForEachCpu()
    {
        Assert.Equal(("zen4", GemmIsa.Avx512), Row(GemmTuning.For(Zen4)));
        Assert.Equal(("zen5", GemmIsa.Avx512), Row(GemmTuning.For(Zen5)));
        Assert.Equal(("intel-avx512", GemmIsa.Avx512), Row(GemmTuning.For(SapphireRapids)));
        Assert.Equal(("avx2", GemmIsa.Avx2), Row(GemmTuning.For(Zen3))); // family 0x19 without AVX-512 is not Zen 4
        Assert.Equal(("portable", GemmIsa.Portable), Row(GemmTuning.For(NoAvx2)));
    }

    [Fact]
    public void BlockingFollowsTheCacheSizes()
    {
        // 1 MiB L2 (Zen 4/5): the blocking measured on Zen 4 for the 12×32 f32 tile, MC 1536, KC 384, NC 320.
        Assert.Equal(new GemmBlocking(1536, 384, 320), GemmBlocking.Of<float>(12, 32, GemmTuning.For(Zen4)));
        Assert.Equal(new GemmBlocking(1536, 384, 320), GemmBlocking.Of<float>(12, 32, GemmTuning.For(Zen5)));
        // Half of L2 for packed B: 2 MiB → 1 MiB / (384·4 B) = 682 columns → 672; 256 KiB → the 128 KiB floor → 64.
        Assert.Equal(672, GemmBlocking.Of<float>(12, 32, GemmTuning.For(SapphireRapids)).NC);
        Assert.Equal(64, GemmBlocking.Of<float>(12, 32, GemmTuning.For(NoAvx2)).NC);
        Assert.Equal(256, GemmBlocking.Of<double>(12, 16, GemmTuning.For(Zen4)).KC);
    }

    [Fact]
    public void OverrideForcesAFamilyOrFailsLoudly()
    {
        Assert.Equal(GemmIsa.Avx2, GemmTuning.For(Zen5, "avx2").Isa);
        Assert.Equal(GemmIsa.Portable, GemmTuning.For(Zen5, " Portable ").Isa);
        Assert.Contains("ENGINE_GEMM_KERNEL", GemmTuning.For(Zen5, "avx2").Name);
        Assert.Equal(GemmTuning.For(Zen5), GemmTuning.For(Zen5, ""));
        var bad = Assert.Throws<ArgumentException>(() => GemmTuning.For(Zen5, "sse"));
        Assert.Contains("ENGINE_GEMM_KERNEL", bad.Message);
        Assert.Throws<PlatformNotSupportedException>(() => GemmTuning.For(Zen3, "avx512"));
    }

    [Theory]
    [InlineData(0x00B00F21, 0x1A, 0x02)] // Zen 5 (EPYC 9005): base family F + extended 0x0B
    [InlineData(0x00A10F11, 0x19, 0x11)] // Zen 4 (EPYC 9004)
    [InlineData(0x000806F8, 6, 0x8F)]    // Sapphire Rapids: family 6 takes the extended model
    [InlineData(0x00000543, 5, 0x4)]     // family 5: no extended fields
    public void CpuidFamilyAndModel(int eax, int family, int model) => Assert.Equal((family, model), GemmCpu.FamilyModel(eax));

    [Theory]
    [InlineData("48K\n", 48 * 1024)]
    [InlineData("1024K", 1024 * 1024)]
    [InlineData("32M", 32 * 1024 * 1024)]
    [InlineData("", null)]
    [InlineData("abcK", null)]
    public void SysfsCacheSizes(string text, int? bytes) => Assert.Equal(bytes, GemmCpu.ParseSize(text));

    [Fact]
    public void AutoResolvesToTheTablesFamily() => Assert.Equal(GemmTuning.Current.Isa, Gemm.Resolve<float>(GemmIsa.Auto));

    private static (string, GemmIsa) Row(GemmTuning t) => (t.Name, t.Isa);
}
