using Engine.Runtime;

namespace Engine.Tests.Rng;

public class PhiloxTests
{
    // Known-answer vectors of Philox4x32-10 published with Random123 (kat_vectors).
    [Theory]
    [InlineData(0u, 0u, 0u, 0u, 0u, 0u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void MatchesRandom123KnownAnswers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint e0, uint e1, uint e2, uint e3)
    {
        var (a, b, c, d) = Philox.Block(c0, c1, c2, c3, k0, k1);
        Assert.Equal((e0, e1, e2, e3), (a, b, c, d));
    }

    [Fact]
    public void StreamWordsAgreeWithRandomAccess()
    {
        var w = new uint[37];
        Philox.Fill(42, 5, w);
        for (int i = 0; i < w.Length; i++) Assert.Equal(Philox.Word(42, 5, (ulong)i), w[i]);
        var other = new uint[37];
        Philox.Fill(43, 5, other);
        Assert.NotEqual(w, other);
    }

    [Fact]
    public void UniformAndNormalHaveTheRightMoments()
    {
        var u = new double[200_000];
        Philox.FillUniformDouble(7, 0, u);
        Assert.InRange(u.Average(), 0.497, 0.503);
        Assert.True(u.All(v => v >= 0 && v < 1));
        var z = new double[200_000];
        Philox.FillNormal(7, 0, z);
        var mean = z.Average();
        var var_ = z.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(var_, 0.98, 1.02);
    }

    [Fact]
    public void GeneratorHandsOutDisjointRanges()
    {
        var g = new Generator(9);
        var a = g.Take(10);
        var b = g.Take(3);
        Assert.Equal(0ul, a);
        Assert.Equal(3ul, b); // 10 words need 3 blocks of 4
        Assert.Equal(4ul, g.Offset);
    }
}
