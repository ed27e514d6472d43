namespace Engine.Methods.Training.Distributed;

/// <summary>
/// How the examples of one optimizer step are shared out among the ranks of a data-parallel run. The step (the
/// sampler's global batch, BatchSize × GradientAccumulation examples, the same on every rank) is cut into micro-batches
/// of <see cref="MicroBatchSize"/> examples, and each rank runs a contiguous block of them. The global batch and the
/// order of examples do not depend on the world size, so a run can resume with another number of processes, and a
/// world of W whose blocks are the micro-batches one process would run (W divides GradientAccumulation) sums exactly
/// the same per-micro-batch gradients.
/// </summary>
public static class StepSharding
{
    /// <summary>Micro-batch size of a step of <paramref name="count"/> examples: BatchSize, smaller when there would be fewer micro-batches than ranks.</summary>
    public static int MicroBatchSize(int count, int batchSize, int worldSize)
    {
        if (count <= 0 || batchSize <= 0 || worldSize <= 0) throw new ArgumentException($"step of {count} examples, batch {batchSize}, world {worldSize}.");
        return Math.Max(1, Math.Min(batchSize, (count + worldSize - 1) / worldSize));
    }

    /// <summary>The micro-batches [First, First + Count) of <paramref name="microBatches"/> that <paramref name="rank"/> runs (Count may be 0).</summary>
    public static (int First, int Count) MicroBatchesOf(int microBatches, int rank, int worldSize)
    {
        if ((uint)rank >= (uint)worldSize) throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} of a world of {worldSize}.");
        int first = (int)((long)microBatches * rank / worldSize), end = (int)((long)microBatches * (rank + 1) / worldSize);
        return (first, end - first);
    }
}
