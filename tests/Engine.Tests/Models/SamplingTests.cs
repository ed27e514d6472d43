using Engine.Models.Generation;

namespace Engine.Tests.Models;

public class SamplingTests
{
    // p = softmax(logits) = [0.4, 0.3, 0.15, 0.1, 0.05] exactly.
    private static readonly float[] Logits = new[] { 0.4, 0.3, 0.15, 0.1, 0.05 }.Select(p => (float)Math.Log(p)).ToArray();

    private static Dictionary<int, double> Frequencies(SamplingOptions o, int draws = 40_000)
    {
        var counts = new Dictionary<int, double>();
        for (int i = 0; i < draws; i++)
        {
            var row = (float[])Logits.Clone();
            int t = TokenSampler.Next(row, o, [], o.Seed, (ulong)i);
            counts[t] = counts.GetValueOrDefault(t) + 1.0 / draws;
        }
        return counts;
    }

    [Fact]
    public void PlainSamplingFollowsTheSoftmax()
    {
        var f = Frequencies(new SamplingOptions { Temperature = 1, Seed = 1 });
        double[] p = [0.4, 0.3, 0.15, 0.1, 0.05];
        for (int i = 0; i < 5; i++) Assert.InRange(f.GetValueOrDefault(i), p[i] - 0.015, p[i] + 0.015);
    }

    [Fact]
    public void TopKRenormalisesOverTheKBest()
    {
        var f = Frequencies(new SamplingOptions { Temperature = 1, TopK = 2, Seed = 2 });
        Assert.Equal([0, 1], f.Keys.Order().ToArray());
        Assert.InRange(f[0], 0.4 / 0.7 - 0.015, 0.4 / 0.7 + 0.015);
    }

    [Fact]
    public void TopPKeepsTheSmallestNucleus()
    {
        // cumulative 0.4, 0.7, 0.85: top_p 0.8 needs the first three tokens.
        var f = Frequencies(new SamplingOptions { Temperature = 1, TopP = 0.8, Seed = 3 });
        Assert.Equal([0, 1, 2], f.Keys.Order().ToArray());
        Assert.InRange(f[2], 0.15 / 0.85 - 0.015, 0.15 / 0.85 + 0.015);
    }

    [Fact]
    public void MinPDropsTokensBelowAFractionOfTheTop()
    {
        // threshold 0.3 × 0.4 = 0.12: tokens with p 0.1 and 0.05 go.
        var f = Frequencies(new SamplingOptions { Temperature = 1, MinP = 0.3, Seed = 4 });
        Assert.Equal([0, 1, 2], f.Keys.Order().ToArray());
    }

    [Fact]
    public void LowTemperatureSharpensAndZeroIsGreedy()
    {
        var f = Frequencies(new SamplingOptions { Temperature = 0.25, Seed = 5 });
        // p^(1/T) renormalised: 0.4^4 / Σ p_i^4
        double z = new[] { 0.4, 0.3, 0.15, 0.1, 0.05 }.Sum(p => Math.Pow(p, 4));
        Assert.InRange(f[0], Math.Pow(0.4, 4) / z - 0.015, Math.Pow(0.4, 4) / z + 0.015);
        var row = (float[])Logits.Clone();
        Assert.Equal(0, TokenSampler.Next(row, new SamplingOptions { Temperature = 0 }, [], 0, 0));
    }

    [Fact]
    public void RepetitionPenaltyDividesPositiveAndMultipliesNegativeLogits()
    {
        float[] row = [2f, -1f, 0.5f];
        // Greedy after the penalty: token 0 (2 → 2/4 = 0.5), token 1 (−1 → −4), token 2 stays 0.5 ⇒ tie broken to the first.
        TokenSampler.Next(row, new SamplingOptions { RepetitionPenalty = 4 }, [0, 1], 0, 0);
        Assert.Equal([0.5f, -4f, 0.5f], row);
    }

    [Fact]
    public void SameSeedSameDrawsDifferentSeedDifferentDraws()
    {
        var a = Enumerable.Range(0, 64).Select(i => TokenSampler.Next((float[])Logits.Clone(), new SamplingOptions { Temperature = 1, Seed = 9 }, [], 9, (ulong)i)).ToArray();
        var b = Enumerable.Range(0, 64).Select(i => TokenSampler.Next((float[])Logits.Clone(), new SamplingOptions { Temperature = 1, Seed = 9 }, [], 9, (ulong)i)).ToArray();
        var c = Enumerable.Range(0, 64).Select(i => TokenSampler.Next((float[])Logits.Clone(), new SamplingOptions { Temperature = 1, Seed = 10 }, [], 10, (ulong)i)).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void InvalidOptionsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new SamplingOptions { TopP = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new SamplingOptions { Temperature = -1 }.Validate());
        Assert.Throws<ArgumentException>(() => new SamplingOptions { RepetitionPenalty = 0 }.Validate());
    }
}
