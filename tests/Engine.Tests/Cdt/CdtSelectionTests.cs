using Engine.Methods.Selection.CDT;

namespace Engine.Tests.Cdt;

/// <summary>The diversity and specific selectors: exact budgets, determinism, coverage, the target first, and the back-fill.</summary>
public class CdtSelectionTests
{
    private static readonly string[] Skills = ["RG", "NM", "RD", "PR", "FE"];
    private static readonly string[] Domains = ["Logic", "Mathematics", "History"];

    /// <summary>
    /// A skewed pool: capability 0 has <paramref name="big"/> records, capabilities 1..<paramref name="small"/> have
    /// <paramref name="each"/> each, then <paramref name="untagged"/> records without tags; interleaved so position says nothing.
    /// </summary>
    private static List<CapabilityTags> SkewedPool(int big = 400, int small = 14, int each = 4, int untagged = 0)
    {
        var caps = Enumerable.Range(0, small + 1).Select(i => new CapabilityTags(
            i % 3 == 0 ? [Skills[i % 5]] : [Skills[i % 5], Skills[(i + 1) % 5]], [Domains[i % 3]], [i % 2 == 0 ? "Completion" : "Classification"])).ToArray();
        Assert.Equal(small + 1, caps.Select(c => c.Key).Distinct().Count());
        var pool = new List<CapabilityTags>();
        pool.AddRange(Enumerable.Repeat(caps[0], big));
        for (int i = 1; i <= small; i++) pool.AddRange(Enumerable.Repeat(caps[i], each));
        pool.AddRange(Enumerable.Repeat(CapabilityTags.Empty, untagged));
        var order = Enumerable.Range(0, pool.Count).ToList();
        new CdtRandom(99).Shuffle(order);
        return order.Select(i => pool[i]).ToList();
    }

    private static int Distinct(IReadOnlyList<CapabilityTags> pool, IEnumerable<int> picked) => picked.Select(i => pool[i].Key).Where(k => k is not null).Distinct().Count();

    private static int[] RandomPick(int n, int count, ulong seed)
    {
        var order = Enumerable.Range(0, n).ToList();
        new CdtRandom(seed).Shuffle(order);
        return order.Take(count).ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(92)]      // 20% of 460
    [InlineData(459)]
    [InlineData(460)]
    [InlineData(5000)]    // more than the pool: all of it
    public void BothSelectorsHitTheBudgetExactlyWithDistinctItems(int count)
    {
        var pool = SkewedPool(untagged: 4);
        var target = new[] { pool.First(t => t.Key is { HasTwoSkills: true }) };
        foreach (var picked in new[] { CdtSelection.Diversity(pool, count, 1234), CdtSelection.Specific(pool, target, count, 1234),
                     CdtSelection.Specific(pool, target, count, 1234, CdtSpecificMode.Proportional) })
        {
            Assert.Equal(Math.Min(count, pool.Count), picked.Length);
            Assert.Equal(picked.Length, picked.Distinct().Count());
            Assert.All(picked, i => Assert.InRange(i, 0, pool.Count - 1));
        }
    }

    [Fact]
    public void SelectionsAreDeterministicForASeedAndDifferAcrossSeeds()
    {
        var pool = SkewedPool();
        var target = pool.Take(3).ToArray();
        Assert.Equal(CdtSelection.Diversity(pool, 92, 1234), CdtSelection.Diversity(pool, 92, 1234));
        Assert.NotEqual(CdtSelection.Diversity(pool, 92, 1234), CdtSelection.Diversity(pool, 92, 1235));
        Assert.Equal(CdtSelection.Specific(pool, target, 92, 7), CdtSelection.Specific(pool, target, 92, 7));
        Assert.NotEqual(CdtSelection.Specific(pool, target, 92, 7), CdtSelection.Specific(pool, target, 92, 8));
    }

    [Fact]
    public void DiversityCoversEveryCapabilityBeforeRepeatingAndBeatsRandomCoverage()
    {
        var pool = SkewedPool();   // 15 capabilities, one of them 87% of the pool
        for (ulong seed = 1; seed <= 5; seed++)
        {
            var div = CdtSelection.Diversity(pool, 92, seed);
            var rnd = RandomPick(pool.Count, 92, seed);
            Assert.Equal(15, Distinct(pool, div));
            Assert.True(Distinct(pool, div) >= Distinct(pool, rnd));
            // The first 15 picks are 15 different capabilities.
            Assert.Equal(15, Distinct(pool, div.Take(15)));
            // Round-robin: each small capability is exhausted (4 each = 56), the big one gets the rest.
            Assert.Equal(92 - 56, div.Count(i => pool[i].Key == pool.GroupBy(t => t.Key).MaxBy(g => g.Count())!.Key));
            var den = CdtMetrics.CoverageDenominator(5, 3, 2);
            Assert.True(CdtDatasetMetrics.Of(div.Select(i => pool[i]).ToArray(), den).Balance > CdtDatasetMetrics.Of(rnd.Select(i => pool[i]).ToArray(), den).Balance);
        }
        // Random at this size misses some small capabilities on at least one seed: the comparison is not vacuous.
        Assert.Contains(Enumerable.Range(1, 5), s => Distinct(pool, RandomPick(pool.Count, 92, (ulong)s)) < 15);
    }

    [Fact]
    public void DiversityTakesTwoSkillCapabilitiesFirst()
    {
        // One item per capability, budget smaller than the number of capabilities: the two-skill ones come first.
        var pool = Enumerable.Range(0, 10).Select(i => new CapabilityTags(i < 6 ? [Skills[i % 5]] : ["RG", Skills[1 + i % 4]], ["Logic"], [i % 2 == 0 ? "Completion" : "Generation"])).ToList();
        var picked = CdtSelection.Diversity(pool, 4, 3);
        Assert.All(picked, i => Assert.True(pool[i].Key!.Value.HasTwoSkills));
    }

    [Fact]
    public void SpecificTakesTheTargetsCapabilitiesFirstThenCloserOnes()
    {
        var rare = new CapabilityTags(["RD"], ["History"], ["Extractive QA"]);
        var sameDomainTask = new CapabilityTags(["CA"], ["History"], ["Extractive QA"]);   // shares (d, t) with the target: level 2
        var sameSkill = new CapabilityTags(["RD"], ["Physics"], ["Generation"]);            // shares only the skill: level 1
        var unrelated = new CapabilityTags(["NM"], ["Mathematics"], ["Completion"]);
        var pool = new List<CapabilityTags>();
        pool.AddRange(Enumerable.Repeat(unrelated, 300));
        pool.AddRange(Enumerable.Repeat(rare, 3));
        pool.AddRange(Enumerable.Repeat(sameDomainTask, 5));
        pool.AddRange(Enumerable.Repeat(sameSkill, 6));
        var target = Enumerable.Repeat(rare, 10).ToArray();

        var picked = CdtSelection.Specific(pool, target, 12, 1234);
        Assert.Equal(12, picked.Length);
        Assert.Equal(Enumerable.Repeat(rare, 3), picked.Take(3).Select(i => pool[i]));               // level 3: all of the target's capability first
        Assert.Equal(Enumerable.Repeat(sameDomainTask, 5), picked.Skip(3).Take(5).Select(i => pool[i]));   // level 2: (History, Extractive QA)
        Assert.All(picked.Skip(8), i => Assert.Equal(sameSkill, pool[i]));                           // level 1: the skill RD
        Assert.DoesNotContain(picked, i => pool[i] == unrelated);
    }

    [Fact]
    public void SpecificBackFillsAtRandomWhenTheTargetIsExhausted()
    {
        // The paper's script crashed here (an undefined name) and dropped the back-fill; the budget must still be met.
        var pool = Enumerable.Repeat(new CapabilityTags(["NM"], ["Mathematics"], ["Completion"]), 50)
            .Append(new CapabilityTags(["RD"], ["History"], ["Extractive QA"])).Concat(Enumerable.Repeat(CapabilityTags.Empty, 9)).ToList();
        var target = new[] { new CapabilityTags(["RD"], ["History"], ["Extractive QA"]) };
        var picked = CdtSelection.Specific(pool, target, 20, 5);
        Assert.Equal(20, picked.Length);
        Assert.Equal(50, picked[0]);                              // the one matching record first
        Assert.Equal(19, picked.Skip(1).Distinct().Count(i => i != 50));
        // The back-fill is a random draw, untagged records included: over seeds some are drawn.
        Assert.Contains(Enumerable.Range(0, 10), s => CdtSelection.Specific(pool, target, 20, (ulong)s).Any(i => i >= 51));
        // An empty target: everything is back-fill, still exact.
        Assert.Equal(20, CdtSelection.Specific(pool, [], 20, 5).Distinct().Count());
    }

    [Fact]
    public void ProportionalModeFollowsTheTargetsFrequencies()
    {
        var a = new CapabilityTags(["NM"], ["Mathematics"], ["Completion"]);
        var b = new CapabilityTags(["RD"], ["History"], ["Extractive QA"]);
        var pool = Enumerable.Repeat(a, 100).Concat(Enumerable.Repeat(b, 100)).ToList();
        var target = Enumerable.Repeat(a, 3).Concat(Enumerable.Repeat(b, 1)).ToArray();
        var prop = CdtSelection.Specific(pool, target, 40, 1, CdtSpecificMode.Proportional);
        Assert.Equal((30, 10), (prop.Count(i => pool[i] == a), prop.Count(i => pool[i] == b)));
        // Support mode ignores frequencies: round-robin, half and half.
        var support = CdtSelection.Specific(pool, target, 40, 1);
        Assert.Equal((20, 20), (support.Count(i => pool[i] == a), support.Count(i => pool[i] == b)));
    }

    [Fact]
    public void BudgetIsTheCeilingOfTheRatio()
    {
        Assert.Equal(3, CdtSelection.CountForRatio(11, 0.2));
        Assert.Equal(2, CdtSelection.CountForRatio(10, 0.2));
        Assert.Equal(400, CdtSelection.CountForRatio(2000, 0.2));
        Assert.Equal(0, CdtSelection.CountForRatio(7, 0));
        Assert.Equal([3, 2, 1], CdtSelection.LargestRemainder([0.5, 0.3, 0.2], 6));
        Assert.Equal([2, 1, 1], CdtSelection.LargestRemainder([1, 1, 1], 4));   // ties to the earlier entry
        Assert.Throws<ArgumentOutOfRangeException>(() => CdtSelection.CountForRatio(10, 1.5));
    }
}
