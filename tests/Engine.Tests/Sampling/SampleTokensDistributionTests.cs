using Engine.Runtime;

namespace Engine.Tests.Sampling;

/// <summary>Empirical frequencies of the CPU op against the renormalised truncated softmax, and edge cases.</summary>
public class SampleTokensDistributionTests
{
    private const int Draws = 20_000;

    /// <summary>Draws ids for one row of logits: the row repeated Draws times, each row its own Philox counter.</summary>
    private static long[] Sample(float[] row, SamplingParams p, ulong seed, long[]? history = null)
    {
        int v = row.Length;
        var x = new float[Draws * v];
        for (int r = 0; r < Draws; r++) row.CopyTo(x, r * v);
        Tensor? prev = null;
        if (history is not null)
        {
            var h = new long[Draws * history.Length];
            for (int r = 0; r < Draws; r++) history.CopyTo(h, r * history.Length);
            prev = Tensor.FromArray(h, Draws, history.Length);
        }
        return Ops.SampleTokens(Tensor.FromArray(x, Draws, v), p, seed, 0, prev).Ids.ToArray<long>();
    }

    /// <summary>Expected distribution written independently: softmax(x/T), keep the k largest, then the smallest
    /// set reaching top_p, then p ≥ min_p·p_max, renormalised.</summary>
    private static double[] Truncated(float[] row, SamplingParams o)
    {
        int v = row.Length;
        var z = row.Select(l => l / o.Temperature).ToArray();
        double m = z.Max();
        var q = z.Select(t => Math.Exp(t - m)).ToArray();
        var ranked = Enumerable.Range(0, v).OrderByDescending(i => row[i]).ToList();
        var keep = ranked.Take(o.TopK > 0 ? o.TopK : v).ToList();
        double s = keep.Sum(i => q[i]);
        if (o.TopP < 1)
        {
            double c = 0; int n = 0;
            while (n < keep.Count && c < o.TopP) c += q[keep[n++]] / s;
            keep = keep.Take(n).ToList();
        }
        if (o.MinP > 0) keep = keep.Where(i => q[i] / s >= o.MinP * q[keep[0]] / s).ToList();
        double t = keep.Sum(i => q[i]);
        var p = new double[v];
        foreach (var i in keep) p[i] = q[i] / t;
        return p;
    }

    /// <summary>Pearson χ² over the support; tokens outside it must never appear.</summary>
    private static void AssertFollows(double[] expected, long[] ids, string what)
    {
        var counts = new double[expected.Length];
        foreach (var id in ids) counts[id]++;
        double chi = 0; int df = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] == 0) { Assert.True(counts[i] == 0, $"{what}: token {i} drawn {counts[i]} times outside the support"); continue; }
            double e = expected[i] * ids.Length;
            chi += (counts[i] - e) * (counts[i] - e) / e;
            df++;
        }
        // χ² with df ≤ 11 exceeds 3·df + 20 with probability < 1e-4.
        Assert.True(chi < 3 * df + 20, $"{what}: χ² = {chi:F1} with {df} degrees of freedom");
    }

    private static readonly float[] Row = [1.3f, -0.2f, 0.7f, 2.1f, -1.5f, 0.1f, 1.9f, -0.6f, 0.4f, 1.0f, -2.4f, 0.0f];

    public static IEnumerable<object[]> Cases() =>
    [
        ["temperature 1", 1.0, 0, 1.0, 0.0],
        ["temperature 0.6", 0.6, 0, 1.0, 0.0],
        ["top-k 4", 1.0, 4, 1.0, 0.0],
        ["top-p 0.8", 1.0, 0, 0.8, 0.0],
        ["min-p 0.2", 1.0, 0, 1.0, 0.2],
        ["combined", 1.4, 7, 0.9, 0.1],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void FrequenciesMatchTheRenormalisedTruncatedSoftmax(string what, double t, int k, double topP, double minP)
    {
        var p = new SamplingParams(t, k, topP, minP);
        AssertFollows(Truncated(Row, p), Sample(Row, p, 11), what);
    }

    [Fact]
    public void RepetitionPenaltyShiftsTheDistributionOncePerDistinctId()
    {
        // History has 3 twice and 4 once, plus padding: 2.1 → 2.1/1.5 and −1.5 → −2.25, each applied once.
        var p = new SamplingParams(1.0, RepetitionPenalty: 1.5);
        var penalised = (float[])Row.Clone();
        penalised[3] = (float)(2.1f / 1.5);
        penalised[4] = (float)(-1.5f * 1.5);
        AssertFollows(Truncated(penalised, p with { RepetitionPenalty = 1 }), Sample(Row, p, 12, [3, 4, 3, -1]), "penalty");
    }

    [Fact]
    public void TopKAtLeastVocabAndTopPOneChangeNothing()
    {
        var x = SampleTokensReferenceTests.Logits(32, 37, 5);
        var t = Tensor.FromArray(x, 32, 37);
        var plain = Ops.SampleTokens(t, new SamplingParams(0.9), 3, 99).Ids.ToArray<long>();
        Assert.Equal(plain, Ops.SampleTokens(t, new SamplingParams(0.9, TopK: 37), 3, 99).Ids.ToArray<long>());
        Assert.Equal(plain, Ops.SampleTokens(t, new SamplingParams(0.9, TopK: 1000), 3, 99).Ids.ToArray<long>());
        Assert.Equal(plain, Ops.SampleTokens(t, new SamplingParams(0.9, TopP: 1.0), 3, 99).Ids.ToArray<long>());
        Assert.True(plain.Distinct().Count() > 4, "draws should vary across rows");
    }

    [Fact]
    public void TinyTopPAndTopKOneAreGreedy()
    {
        var x = SampleTokensReferenceTests.Logits(30, 1000, 6);
        var t = Tensor.FromArray(x, 30, 1000);
        var greedy = Ops.SampleTokens(t, new SamplingParams(0), 1, 0).Ids.ToArray<long>();
        for (int r = 0; r < 30; r++)
        {
            var row = x.AsSpan(r * 1000, 1000);
            int first = 0;
            for (int i = 1; i < row.Length; i++) if (row[i] > row[first]) first = i;
            Assert.Equal(first, greedy[r]);
        }
        Assert.Equal(greedy, Ops.SampleTokens(t, new SamplingParams(1.0, TopK: 1), 1, 0).Ids.ToArray<long>());
        Assert.Equal(greedy, Ops.SampleTokens(t, new SamplingParams(1.0, TopP: 1e-9), 1, 0).Ids.ToArray<long>());
        // min_p = 1 keeps every token tied with the maximum (bf16 and coarse rows have such ties), nothing else.
        var minP1 = Ops.SampleTokens(t, new SamplingParams(1.0, MinP: 1.0), 1, 0).Ids.ToArray<long>();
        for (int r = 0; r < 30; r++) Assert.Equal(x[r * 1000 + (int)greedy[r]], x[r * 1000 + (int)minP1[r]]);
        Assert.NotEqual(greedy, minP1);
    }

    [Fact]
    public void AllNegativeInfinityButOneAlwaysPicksIt()
    {
        var row = Enumerable.Repeat(float.NegativeInfinity, 50).ToArray();
        row[17] = -3.5f;
        foreach (var p in new[] { new SamplingParams(0), new SamplingParams(1.3), new SamplingParams(0.5, TopK: 10, TopP: 0.5, MinP: 0.3) })
        {
            var ids = Sample(row, p, 4);
            Assert.All(ids, id => Assert.Equal(17, id));
        }
        var lp = Ops.SampleTokens(Tensor.FromArray(row, 1, 50), new SamplingParams(1.0), 0, 0).LogProbs.ToArray<double>()[0];
        Assert.Equal(0.0, lp);
    }

    [Fact]
    public void TiesAreBrokenTowardsTheLowerId()
    {
        float[] flat = [0.25f, 0.25f, 0.25f, 0.25f, 0.25f, 0.25f];
        // Greedy on a tie: the lowest id.
        Assert.All(Sample(flat, new SamplingParams(0), 1), id => Assert.Equal(0, id));
        // Top-k 3 of six equal logits keeps ids 0..2, uniformly.
        AssertFollows([1 / 3.0, 1 / 3.0, 1 / 3.0, 0, 0, 0], Sample(flat, new SamplingParams(1.0, TopK: 3), 2), "top-k tie");
        // Top-p 0.45 of six equal logits: three sixths are the first prefix to reach it, so ids 0..2.
        AssertFollows([1 / 3.0, 1 / 3.0, 1 / 3.0, 0, 0, 0], Sample(flat, new SamplingParams(1.0, TopP: 0.45), 3), "top-p tie");
        // −0 and +0 are one tie group: top-k 1 keeps the lower id whatever the sign.
        Assert.All(Sample([-1f, -0f, 0f], new SamplingParams(1.0, TopK: 1), 4), id => Assert.Equal(1, id));
        // The inverse CDF walks ties in id order: u below 1/2 picks id 0.
        var two = Ops.SampleTokens(Tensor.FromArray(new float[] { 0.5f, 0.5f }, 1, 2), new SamplingParams(1.0), 0, 0).Ids.ToArray<long>()[0];
        double u = Philox.ToUniform(Philox.Word(0, 0, 0));
        Assert.Equal(u < 0.5 ? 0 : 1, two);
    }
}
