using Engine.Methods.Training.Sampling;

namespace Engine.Tests.Training;

public class SamplerTests
{
    [Fact]
    public void RandomSamplerCoversEveryExampleOncePerEpochAndReshuffles()
    {
        var s = new RandomBatchSampler(23, 5, seed: 7);
        Assert.Equal(5, s.StepsPerEpoch);
        var e0 = s.EpochBatches(0); var e1 = s.EpochBatches(1);
        Assert.Equal(Enumerable.Range(0, 23), e0.SelectMany(b => b).Order());
        Assert.Equal(Enumerable.Range(0, 23), e1.SelectMany(b => b).Order());
        Assert.Equal(3, e0[^1].Length);
        Assert.NotEqual(e0.SelectMany(b => b), e1.SelectMany(b => b));
        Assert.NotEqual(Enumerable.Range(0, 23), e0.SelectMany(b => b));
        // Same seed and epoch: same batches (what resume relies on); another seed: different.
        Assert.Equal(e1.SelectMany(b => b), new RandomBatchSampler(23, 5, seed: 7).EpochBatches(1).SelectMany(b => b));
        Assert.NotEqual(e1.SelectMany(b => b), new RandomBatchSampler(23, 5, seed: 8).EpochBatches(1).SelectMany(b => b));
        Assert.Equal(4, new RandomBatchSampler(23, 5, 7, dropLast: true).EpochBatches(0).Count);
    }

    [Fact]
    public void GroupedSamplerMatchesCommonItsWorkedExample()
    {
        // Group sizes [100, 37, 64], batch 8 → 12 + 4 + 8 = 24 full batches per epoch, each from one group.
        var groups = Enumerable.Repeat("a", 100).Concat(Enumerable.Repeat("b", 37)).Concat(Enumerable.Repeat("c", 64)).Select(g => (string?)g).ToArray();
        var s = new GroupedBatchSampler(groups, 8, seed: 3);
        Assert.Equal(24, s.StepsPerEpoch);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var batches = s.EpochBatches(epoch);
            Assert.Equal(24, batches.Count);
            var perGroup = new Dictionary<string, int>();
            foreach (var b in batches)
            {
                Assert.Equal(8, b.Length);
                var g = groups[b[0]]!;
                Assert.All(b, i => Assert.Equal(g, groups[i]));
                perGroup[g] = perGroup.GetValueOrDefault(g) + 1;
            }
            Assert.Equal(12, perGroup["a"]); Assert.Equal(4, perGroup["b"]); Assert.Equal(8, perGroup["c"]);
            var all = batches.SelectMany(b => b).ToArray();
            Assert.Equal(all.Length, all.Distinct().Count());
            Assert.Equal(24 * 8, all.Length); // 4 of a, 5 of b, 0 of c dropped this epoch
        }
        // The order of groups is shuffled, not grouped runs: some consecutive batches differ in group.
        var order = s.EpochBatches(0).Select(b => groups[b[0]]).ToArray();
        Assert.True(order.Zip(order.Skip(1)).Count(p => p.First != p.Second) > 3);
        Assert.NotEqual(order, s.EpochBatches(1).Select(b => groups[b[0]]).ToArray());
    }

    [Fact]
    public void CurriculumSamplerFollowsTheGivenOrder()
    {
        int[] order = [4, 2, 0, 1, 3, 6, 5];
        var s = new CurriculumBatchSampler(order, 3);
        Assert.Equal(3, s.StepsPerEpoch);
        Assert.Equal(order, s.EpochBatches(0).SelectMany(b => b));
        Assert.Equal([[4, 2, 0], [1, 3, 6], [5]], s.EpochBatches(2));
    }

    [Fact]
    public void PositionRoundTripsAndRefusesAnotherSampler()
    {
        var p = new SamplerPosition(3, 17);
        Assert.Equal(p, SamplerPosition.FromJson(p.ToJson("group"), "group"));
        Assert.Throws<InvalidDataException>(() => SamplerPosition.FromJson(p.ToJson("group"), "random"));
    }
}
