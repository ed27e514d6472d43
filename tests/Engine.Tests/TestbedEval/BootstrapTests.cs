using Engine.Methods.Evaluation;
using Engine.Methods.Evaluation.Testbed;

namespace Engine.Tests.TestbedEval;

public class BootstrapTests
{
    [Fact]
    public void IntervalMatchesTheNormalApproximationForALargeSample()
    {
        // 400 outcomes with 200 hits: the 95% interval is about 0.5 ± 1.96·sqrt(0.25/400) = 0.5 ± 0.049.
        var outcomes = Enumerable.Range(0, 400).Select(i => i % 2 == 0).ToArray();
        var (lo, hi) = Bootstrap.Interval(outcomes, resamples: 4000);
        Assert.InRange(lo, 0.44, 0.465);
        Assert.InRange(hi, 0.535, 0.56);
    }

    [Fact]
    public void IntervalIsDeterministicAndNarrowsWithMoreData()
    {
        var small = Enumerable.Range(0, 40).Select(i => i % 4 != 0).ToArray();
        var large = Enumerable.Range(0, 400).Select(i => i % 4 != 0).ToArray();
        var first = Bootstrap.Interval(small);
        var again = Bootstrap.Interval(small.ToArray()); // a fresh run over a copy: same seed, same interval
        Assert.Equal(first, again);
        var (ls, hs) = Bootstrap.Interval(small);
        var (ll, hl) = Bootstrap.Interval(large);
        Assert.True(hl - ll < hs - ls);
        Assert.True(ls <= 0.75 && 0.75 <= hs);
        Assert.Equal((1.0, 1.0), Bootstrap.Interval([true, true, true]));
    }

    [Fact]
    public void SummaryGroupsByTaskDomainAndDifficulty()
    {
        var items = new List<ItemResult>
        {
            new("a", "arith", "math", 1, "3", "3", true, "Answer: 3"),
            new("b", "arith", "math", 2, "4", "5", false, "Answer: 5"),
            new("c", "string_ops", "text", 1, "ab", "ab", true, "Answer: ab"),
        };
        var r = TestbedEvaluator.Summarise("m", items, 500);
        Assert.Equal(2, r.Correct);
        Assert.Equal(2.0 / 3, r.Accuracy, 12);
        var arith = r.Groups.Single(g => g.By == "task" && g.Key == "arith");
        Assert.Equal((2, 1), (arith.N, arith.Correct));
        Assert.Equal(2, r.Groups.Single(g => g.By == "difficulty" && g.Key == "1").Correct);
        Assert.Contains("| task | arith | 2 | 1 | 50.0 % |", r.ToMarkdown());
    }
}
