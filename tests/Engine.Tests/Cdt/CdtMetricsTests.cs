using Engine.Methods.Selection.CDT;

namespace Engine.Tests.Cdt;

/// <summary>Coverage and balance against values worked out by hand, and the capability key's canonical form.</summary>
public class CdtMetricsTests
{
    private static CapabilityTags T(string cognition, string domain, string task) =>
        new(cognition.Length == 0 ? [] : cognition.Split('+'), domain.Length == 0 ? [] : [domain], task.Length == 0 ? [] : [task]);

    [Fact]
    public void DenominatorIsPairsPlusSinglesTimesDomainsTimesTasks()
    {
        // The paper: (C(18,2) + 18) · 33 · 16 = 171 · 528 = 90,288.
        Assert.Equal(90_288, CdtMetrics.CoverageDenominator(18, 33, 16));
        // The built-in sets (13 published task types): 171 · 33 · 13 = 73,359.
        Assert.Equal(73_359, CdtLabelSet.Default.CoverageDenominator);
        // 3 skills: pairs ab, ac, bc and singles a, b, c = 6; · 2 domains · 2 tasks = 24.
        Assert.Equal(24, CdtMetrics.CoverageDenominator(3, 2, 2));
        Assert.Equal(16.462, CdtMetrics.MaxBalance(90_288), 3);
        Assert.Throws<ArgumentException>(() => CdtMetrics.CoverageDenominator(0, 1, 1));
    }

    [Fact]
    public void BalanceAndCoverageOfASmallHandWorkedSet()
    {
        // Capabilities: RG|Logic|Classification ×2, NM+RQ|Mathematics|Closed Book QA ×2 (once written RQ+NM: the order
        // of a pair must not matter), RD|History|Extractive QA ×1, FE|Education|Rewrite ×1, and one untagged record.
        var tags = new[]
        {
            T("RG", "Logic", "Classification"), T("RG", "Logic", "Classification"),
            T("RQ+NM", "Mathematics", "Closed Book QA"), T("NM+RQ", "Mathematics", "Closed Book QA"),
            T("RD", "History", "Extractive QA"), T("FE", "Education", "Rewrite"),
            T("", "Logic", "Classification"),   // untagged cognition: left out
        };
        var m = CdtDatasetMetrics.Of(tags, 24);
        Assert.Equal((7, 6, 4), (m.Records, m.Tagged, m.Distinct));
        // Histogram 2, 2, 1, 1 over N = 6: H = −2·(1/3)log₂(1/3) − 2·(1/6)log₂(1/6) = (2/3)·1.58496 + (1/3)·2.58496 = 1.918296 bits.
        Assert.Equal(1.918296, m.Balance, 5);
        Assert.Equal(4 / 24.0, m.Coverage, 12);
        Assert.Equal(2, m.Combinations[new CdtKey("NM", "RQ", "Mathematics", "Closed Book QA")]);
        // Per-axis histograms count both codes of a pair, over tagged records only.
        Assert.Equal(2, m.Axes[CdtDimension.Cognition]["NM"]);
        Assert.Equal(2, m.Axes[CdtDimension.Domain]["Logic"]);
    }

    [Fact]
    public void BalanceIsZeroForOneCapabilityAndLog2ForUniform()
    {
        Assert.Equal(0, CdtMetrics.Balance([5]));
        Assert.Equal(0, CdtMetrics.Balance(Array.Empty<int>()));
        Assert.Equal(2.0, CdtMetrics.Balance([3, 3, 3, 3]), 12);
        Assert.Equal(1.0, CdtMetrics.Balance([7, 0, 7]), 12);   // empty bins do not count
    }

    [Fact]
    public void KeyTakesTheFirstTwoSkillsInImportanceOrderThenSortsThem()
    {
        // A tagger that ignores the cap: the first two (PR, CA) count, not the alphabetically first (AC, CA).
        var k = CdtKey.Of(new CapabilityTags(["PR", "CA", "AC"], ["Logic"], ["Completion"]))!.Value;
        Assert.Equal(new CdtKey("CA", "PR", "Logic", "Completion"), k);
        Assert.Equal("CA+PR | Logic | Completion", k.ToString());
        // A repeated code is one skill.
        Assert.Equal(new CdtKey("NM", null, "Mathematics", "Completion"), CdtKey.Of(new CapabilityTags(["NM", "NM"], ["Mathematics"], ["Completion"])));
        Assert.Null(CdtKey.Of(new CapabilityTags(["NM"], [], ["Completion"])));
    }
}
