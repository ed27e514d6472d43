using Engine.Methods.Core.Jobs;

namespace Engine.Tests.Jobs;

public class StableBatchesTests
{
    [Theory]
    [InlineData(1, 16)]
    [InlineData(16, 16)]
    [InlineData(17, 20)]
    [InlineData(20, 20)]
    [InlineData(21, 24)]
    [InlineData(29, 32)]
    [InlineData(33, 40)]
    [InlineData(100, 112)]
    [InlineData(1000, 1024)]
    [InlineData(1025, 1280)]
    public void BucketsAreFourStepsPerDoubling(int length, int bucket) => Assert.Equal(bucket, StableBatches.Bucket(length));

    [Fact]
    public void BucketsNeverExceedTheCapButNeverCutARow()
    {
        Assert.Equal(500, StableBatches.Bucket(450, cap: 500));
        Assert.Equal(600, StableBatches.Bucket(600, cap: 500));
        Assert.Equal(5, StableBatches.Bucket(5, cap: 5));
    }

    [Fact]
    public void EveryBatchHasTheFullSizeAndOneBucket()
    {
        int[] lengths = [3, 40, 17, 5, 18, 39, 2, 16, 90];
        var plan = StableBatches.Plan(lengths, batchSize: 3);
        Assert.All(plan, b => Assert.Equal(3, b.Items.Length));
        Assert.All(plan, b => Assert.All(b.Items, i => Assert.Equal(b.Length, StableBatches.Bucket(lengths[i]))));
        // Every item exactly once among the real rows; filler rows repeat the batch's first item.
        Assert.Equal(Enumerable.Range(0, lengths.Length), plan.SelectMany(b => b.Items.Take(b.Real)).Order());
        Assert.All(plan, b => Assert.All(b.Items.Skip(b.Real), i => Assert.Equal(b.Items[0], i)));
        // Bucket 16: items 0, 3, 6, 7 → one full batch and one with two fillers.
        var b16 = plan.Where(b => b.Length == 16).ToList();
        Assert.Equal([[0, 3, 6], [7, 7, 7]], b16.Select(b => b.Items));
        Assert.Equal([3, 1], b16.Select(b => b.Real));
    }
}
