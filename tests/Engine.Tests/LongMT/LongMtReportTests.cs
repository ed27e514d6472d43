using Engine.Methods.Evaluation.Experiments;

namespace Engine.Tests.LongMT;

/// <summary>The experiment report's paired differences and bootstrap interval.</summary>
public class LongMtReportTests
{
    private static LongMtDocScore Doc(string id, double chrf, double? consistency) => new(id, chrf, chrf, consistency, null, 0, 1);

    [Fact]
    public void DifferencesPairDocumentsAndSkipMissingMetrics()
    {
        LongMtDocScore[] arm = [Doc("a", 50, 0.9), Doc("b", 40, null), Doc("c", 30, 1.0)];
        LongMtDocScore[] baseline = [Doc("a", 45, 0.8), Doc("b", 42, 0.5), Doc("c", 30, null)];
        Assert.Equal([5.0, -2.0, 0.0], LongMtExperimentReport.Differences(arm, baseline, d => d.ChrF));
        var c = Assert.Single(LongMtExperimentReport.Differences(arm, baseline, d => d.Consistency));
        Assert.Equal(0.1, c, 12);
        Assert.Throws<ArgumentException>(() => LongMtExperimentReport.Differences(arm, [.. baseline.Reverse()], d => d.ChrF));
        Assert.Throws<ArgumentException>(() => LongMtExperimentReport.Differences(arm, baseline[..2], d => d.ChrF));
    }

    [Fact]
    public void TheIntervalHoldsTheMeanAndShrinksToAPointForEqualValues()
    {
        var (mean, lo, hi) = LongMtTestbedExperiment.Interval([1.0, 2, 3, 4, 10]);
        Assert.Equal(4, mean, 12);
        Assert.True(lo < mean && mean < hi);
        Assert.InRange(lo, 1, 4);
        Assert.InRange(hi, 4, 10);
        Assert.Equal((7.0, 7.0, 7.0), LongMtTestbedExperiment.Interval([7.0, 7, 7]));
        Assert.True(double.IsNaN(LongMtTestbedExperiment.Interval([]).Mean));
    }
}
