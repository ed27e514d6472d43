using Engine.Methods.Training.Sampling;

namespace Engine.Tests.Curriculum;

/// <summary>CommonIT's sampler: one group per batch, every batch of every group once per epoch, seeded, with both remainder policies.</summary>
public class CommonItSamplerTests
{
    // The specification's worked example: group sizes 100, 37, 64 at batch 8.
    private static readonly string?[] Groups = Enumerable.Repeat("a", 100).Concat(Enumerable.Repeat("b", 37)).Concat(Enumerable.Repeat("c", 64))
        .Select((g, i) => (string?)g).ToArray();

    [Fact]
    public void KeepingRemaindersTrainsEveryExampleOncePerEpochInPureBatches()
    {
        var s = new GroupedBatchSampler(Groups, 8, seed: 3, GroupRemainder.Keep);
        Assert.Equal(13 + 5 + 8, s.StepsPerEpoch);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var batches = s.EpochBatches(epoch);
            Assert.Equal(26, batches.Count);
            Assert.All(batches, b => Assert.Single(b.Select(i => Groups[i]).Distinct()));
            Assert.Equal(Enumerable.Range(0, Groups.Length), batches.SelectMany(b => b).Order());
            // One smaller batch each for a (100 = 12·8 + 4) and b (37 = 4·8 + 5); c divides evenly.
            var partial = batches.Where(b => b.Length < 8).Select(b => (Groups[b[0]], b.Length)).OrderBy(x => x.Item1).ToArray();
            Assert.Equal([("a", 4), ("b", 5)], partial);
        }
    }

    [Fact]
    public void DroppingRemaindersUsesEveryFullBatchOfEveryGroupOncePerEpoch()
    {
        var s = new GroupedBatchSampler(Groups, 8, seed: 3, GroupRemainder.Drop);
        Assert.Equal(12 + 4 + 8, s.StepsPerEpoch);
        var batches = s.EpochBatches(1);
        Assert.All(batches, b => Assert.Equal(8, b.Length));
        Assert.All(batches, b => Assert.Single(b.Select(i => Groups[i]).Distinct()));
        var perGroup = batches.GroupBy(b => Groups[b[0]]!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(12, perGroup["a"]); Assert.Equal(4, perGroup["b"]); Assert.Equal(8, perGroup["c"]);
        Assert.Equal(batches.Sum(b => b.Length), batches.SelectMany(b => b).Distinct().Count());
        // A group smaller than a batch contributes nothing when dropping, and one short batch when keeping.
        string?[] tiny = [.. Groups, "d", "d", "d"];
        Assert.DoesNotContain(new GroupedBatchSampler(tiny, 8, 3, GroupRemainder.Drop).EpochBatches(0), b => b.Any(i => i >= 201));
        Assert.Single(new GroupedBatchSampler(tiny, 8, 3, GroupRemainder.Keep).EpochBatches(0), b => b.Any(i => i >= 201));
    }

    [Fact]
    public void BatchesAreAFunctionOfSeedAndEpoch()
    {
        var a = new GroupedBatchSampler(Groups, 8, seed: 3, GroupRemainder.Keep);
        var again = new GroupedBatchSampler(Groups, 8, seed: 3, GroupRemainder.Keep);
        var other = new GroupedBatchSampler(Groups, 8, seed: 4, GroupRemainder.Keep);
        Assert.Equal(a.EpochBatches(2), again.EpochBatches(2));
        Assert.NotEqual(a.EpochBatches(2).SelectMany(b => b), other.EpochBatches(2).SelectMany(b => b));
        Assert.NotEqual(a.EpochBatches(1).SelectMany(b => b), a.EpochBatches(2).SelectMany(b => b));
        // The group order is shuffled, not run in blocks.
        var order = a.EpochBatches(0).Select(b => Groups[b[0]]).ToArray();
        Assert.True(order.Zip(order.Skip(1)).Count(p => p.First != p.Second) > 5);
    }
}
