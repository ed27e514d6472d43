using Engine.Methods.Pruning.DRPruning;

namespace Engine.Tests.Pruning;

/// <summary>The χ²-ball DRO update, the reference ratio and the Sheared update on the specification's worked example and by hand.</summary>
public class DroFormulaTests
{
    // SlimPajama's seven domains: p0, the 1.3B reference losses, and a loss vector (the specification's worked example).
    private static readonly double[] P0 = [0.67, 0.045, 0.045, 0.02, 0.045, 0.025, 0.15];
    private static readonly double[] Ref13B = [1.9643, 0.7459, 2.1393, 1.6117, 1.7590, 1.4449, 2.1251];
    private static readonly double[] Loss = [2.05, 0.80, 2.30, 1.70, 1.90, 1.50, 2.20];

    /// <summary>½·Σ p(q/p − 1)², written out here rather than taken from the code under test.</summary>
    private static double ChiSquare(double[] p, double[] q) => 0.5 * p.Select((pk, k) => pk * Math.Pow(q[k] / pk - 1, 2)).Sum();

    [Fact]
    public void WorkedExampleGivesThePublishedWeights()
    {
        var u = DroFormulas.Weights(P0, Loss, Ref13B, rho: 0.1, minProb: 0.2, clampToMin: true);
        double[] excess = [0.0857, 0.0541, 0.1607, 0.0883, 0.1410, 0.0551, 0.0749];
        for (int k = 0; k < 7; k++) Assert.Equal(excess[k], u.Excess[k], 4);
        Assert.Equal(1.0, u.ReferenceFactor);
        Assert.False(u.Failed);
        Assert.Equal(0.03923, u.Eta, 4);
        double[] q = [0.6295, 0.0196, 0.1105, 0.0198, 0.0926, 0.0196, 0.1082];
        for (int k = 0; k < 7; k++) Assert.Equal(q[k], u.Weights[k], 4);
        Assert.Equal(1.0, u.Weights.Sum(), 12);
    }

    [Fact]
    public void WorkedExampleReferenceRatioStep()
    {
        var u = DroFormulas.Weights(P0, Loss, Ref13B, 0.1, 0.2, true);
        var p = DroFormulas.UpdateReferenceRatio(P0, u.Weights, P0, 0.1);
        double[] expected = [0.6659, 0.0425, 0.0516, 0.0200, 0.0498, 0.0245, 0.1458];
        for (int k = 0; k < 7; k++) Assert.Equal(expected[k], p[k], 4);
        // Inside both guard rails: [p0/2, 2·p0] and [min p0, max p0] (up to the final renormalisation).
        for (int k = 0; k < 7; k++) Assert.InRange(p[k], P0[k] / 2 - 1e-3, 2 * P0[k] + 1e-3);
    }

    [Theory]
    [InlineData(1e-6)]
    [InlineData(1e-8)]
    public void BisectionSolutionMeetsTheDivergenceConstraint(double tol)
    {
        var u = DroFormulas.Weights(P0, Loss, Ref13B, rho: 0.1, minProb: 0.2, clampToMin: true, tol: tol);
        double d = ChiSquare(P0, u.Unclamped);
        Assert.True(Math.Abs(d - 0.1) <= tol, $"χ²(q(η*), p) = {d:R}, want 0.1 ± {tol}");
        // The point satisfies q ∝ p·max(e − η*, 0) with every ratio q/p floored at min_prob (checked from the definition).
        var raw = P0.Select((p, k) => p * Math.Max(u.Excess[k] - u.Eta, 0)).ToArray();
        double s = raw.Sum();
        var floored = raw.Select((x, k) => Math.Max(x / s / P0[k], 0.2) * P0[k]).ToArray();
        double fs = floored.Sum();
        for (int k = 0; k < 7; k++) Assert.Equal(floored[k] / fs, u.Unclamped[k], 12);
    }

    [Fact]
    public void DefaultToleranceIsTheCodes()
    {
        var u = DroFormulas.Weights(P0, Loss, Ref13B, 0.1, 0.2, true);
        Assert.True(Math.Abs(ChiSquare(P0, u.Unclamped) - 0.1) <= 1e-4);
    }

    [Fact]
    public void LargerRadiusMovesFurtherTowardTheWorstDomains()
    {
        // Domain 2 (book) has the largest excess: a wider ball gives it more weight; ρ → small stays near p.
        var small = DroFormulas.Weights(P0, Loss, Ref13B, 0.01, 0.2, false);
        var large = DroFormulas.Weights(P0, Loss, Ref13B, 0.5, 0.2, false);
        Assert.True(large.Weights[2] > small.Weights[2] && small.Weights[2] > P0[2]);
        Assert.True(Math.Abs(ChiSquare(P0, small.Unclamped) - 0.01) <= 1e-4 && Math.Abs(ChiSquare(P0, large.Unclamped) - 0.5) <= 1e-4);
    }

    [Fact]
    public void ReferenceAboveEveryLossIsScaledDown()
    {
        // Every loss below its reference: e = ℓ − c·ℓ_R for c = 0.9, 0.8, … until one excess is positive.
        double[] p = [0.5, 0.3, 0.2], loss = [1.0, 2.0, 3.0], reference = [1.5, 2.4, 3.2];
        var e = DroFormulas.Excess(loss, reference, out double c);
        // c = 0.9: 1 − 1.35 < 0, 2 − 2.16 < 0, 3 − 2.88 = 0.12 > 0.
        Assert.Equal(0.9, c, 12);
        Assert.Equal(3 - 0.9 * 3.2, e[2], 12);
        var u = DroFormulas.Weights(p, loss, reference, 0.1, 0.2, true);
        Assert.False(u.Failed);
        Assert.True(u.Weights[2] > p[2]);
    }

    [Fact]
    public void NoPositiveExcessKeepsTheReferenceRatio()
    {
        double[] p = [0.7, 0.3];
        var u = DroFormulas.Weights(p, [0.0, 0.0], [0.0, 0.0], 0.1, 0.2, true);
        Assert.True(u.Failed);
        Assert.Equal(p, u.Weights);
    }

    [Fact]
    public void ClampRaisesTinyWeightsToTheSmallestProportion()
    {
        var clamped = DroFormulas.Weights(P0, Loss, Ref13B, 0.1, 0.0, clampToMin: true);
        var free = DroFormulas.Weights(P0, Loss, Ref13B, 0.1, 0.0, clampToMin: false);
        Assert.Contains(free.Weights, w => w < 0.02);
        double floor = 0.02 / clamped.Weights.Select((w, k) => Math.Max(free.Unclamped[k], 0.02)).Sum();
        Assert.All(clamped.Weights, w => Assert.True(w >= floor - 1e-12));
    }

    [Fact]
    public void ShearedUpdateByHand()
    {
        // α = (0.8, 0.2), ℓ − ℓ_R = (0, ln 4): softmax(ln 0.8, ln 0.2 + ln 4) = (0.8, 0.8)/1.6 = (0.5, 0.5); smoothing c/K.
        var w = DroFormulas.ShearedWeights([0.8, 0.2], [1.0, 2.0 + Math.Log(4)], [1.0, 2.0]);
        Assert.Equal((1 - 1e-4) * 0.5 + 1e-4 / 2, w[0], 12);
        Assert.Equal(w[0], w[1], 12);
    }
}
