namespace Engine.Methods.Core.Jobs;

/// <summary>A batch of exactly the batch size: item indexes, the first <see cref="Real"/> real, the rest repeats whose outputs are discarded; padded to <see cref="Length"/>.</summary>
public sealed record StableBatch(int Length, int[] Items, int Real);

/// <summary>
/// Batches whose shape depends only on each row's own length: every batch has exactly <c>batchSize</c> rows (a short
/// one is filled with repeats) and is padded to the length bucket of its rows. Kernels pick their code path by shape
/// (a GEMV-like path for a few rows, cuBLAS heuristics by size) and sum in lane order, so a row's numbers can change
/// with its neighbours' count and lengths; with fixed shapes they cannot, and a record's output is the same in any
/// chunk, shard or resumed run. Costs: padding up to a bucket (≤ 25% of a row) and the filler rows of short batches.
/// </summary>
public static class StableBatches
{
    private const int MinBucket = 16;

    /// <summary>The smallest of 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, ... (four steps per doubling) ≥ length, capped at <paramref name="cap"/> (a model's context) but never below length.</summary>
    public static int Bucket(int length, int cap = int.MaxValue)
    {
        if (length <= MinBucket) return Math.Max(length, Math.Min(MinBucket, cap));
        long p = 1L << (63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)length));
        long bucket = length == p ? p : new[] { p * 5 / 4, p * 3 / 2, p * 7 / 4, p * 2 }.First(b => b >= length);
        return (int)Math.Max(length, Math.Min(bucket, cap));
    }

    /// <summary>Group items by bucket (in item order within a bucket) into batches of exactly <paramref name="batchSize"/> rows.</summary>
    public static IReadOnlyList<StableBatch> Plan(IReadOnlyList<int> lengths, int batchSize, int cap = int.MaxValue)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), "batch size must be ≥ 1");
        var batches = new List<StableBatch>();
        foreach (var group in Enumerable.Range(0, lengths.Count).GroupBy(i => Bucket(lengths[i], cap)).OrderBy(g => g.Key))
            foreach (var chunk in group.Chunk(batchSize))
            {
                var items = new int[batchSize];
                for (int j = 0; j < batchSize; j++) items[j] = chunk[j < chunk.Length ? j : 0];
                batches.Add(new StableBatch(group.Key, items, chunk.Length));
            }
        return batches;
    }
}
