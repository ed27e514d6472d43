using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Selection.CDT;

namespace Engine.Tests.Cdt;

/// <summary>The benchmark's own selection rule, SelectIT within CDT strata, and its paired difference.</summary>
public class SelectionBenchmarkRuleTests
{
    [Fact]
    public void WithinStrataEachCombinationKeepsItsShareFilledWithItsBestScores()
    {
        var a = new CdtKey("NM", null, "Mathematics", "Completion");
        var b = new CdtKey("RG", null, "Logic", "Classification");
        // 6 records of a, 3 of b, 1 untagged; budget 5 → exact shares 3, 1.5, 0.5 → 3, 2, 0 (remainders tie; the earlier stratum wins).
        CdtKey?[] keys = [a, a, a, a, a, a, b, b, b, null];
        double[] scores = [0.9, 0.1, 0.8, 0.7, 0.95, 0.2, 0.3, 0.05, 0.6, 0.99];
        var picked = SelectionBenchmark.WithinStrata(scores, keys, 5).Order().ToArray();
        // a: its top 3 are 4 (0.95), 0 (0.9), 2 (0.8); b: 8 (0.6), 6 (0.3). The untagged record's 0.99 loses to the quota.
        Assert.Equal([0, 2, 4, 6, 8], picked);
        // Global top-5 by score would take the untagged one and three of a: the rule is not SelectIT alone.
        Assert.Equal(5, SelectionBenchmark.WithinStrata(scores, keys, 5).Distinct().Count());
    }

    [Fact]
    public void RandomSubsetIsExactAndSeeded()
    {
        Assert.Equal(SelectionBenchmark.RandomSubset(100, 20, 3), SelectionBenchmark.RandomSubset(100, 20, 3));
        Assert.NotEqual(SelectionBenchmark.RandomSubset(100, 20, 3), SelectionBenchmark.RandomSubset(100, 20, 4));
        Assert.Equal(20, SelectionBenchmark.RandomSubset(100, 20, 3).Distinct().Count());
    }

    [Fact]
    public void PairedDifferenceOfIdenticalArmsIsZeroAndOfABetterArmPositive()
    {
        var x = Enumerable.Range(0, 200).Select(i => i % 3 == 0).ToArray();
        Assert.Equal((0.0, 0.0, 0.0), SelectionBenchmarkReport.PairedDifference(x, x));
        var better = x.Select((v, i) => v || i % 3 == 1).ToArray();   // right on 2/3 instead of 1/3
        var (d, lo, hi) = SelectionBenchmarkReport.PairedDifference(better, x);
        Assert.Equal(67 / 200.0, d, 12);   // i % 3 == 1 for 67 of the 200 items
        Assert.True(lo > 0.2 && hi < 0.45);
    }
}
