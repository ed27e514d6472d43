namespace Engine.Methods.Training.Sampling;

/// <summary>A fresh seeded shuffle of all examples every epoch, cut into step batches (the usual trainer).</summary>
public sealed class RandomBatchSampler : IEpochBatchSampler
{
    private readonly int _count, _stepBatch;
    private readonly ulong _seed;
    private readonly bool _dropLast;

    public RandomBatchSampler(int count, int stepBatchSize, ulong seed, bool dropLast = false)
    {
        if (count <= 0) throw new ArgumentException("The training set is empty.");
        if (stepBatchSize <= 0) throw new ArgumentException($"step batch size must be positive, got {stepBatchSize}.");
        if (dropLast && count < stepBatchSize) throw new ArgumentException($"{count} examples do not fill one batch of {stepBatchSize} and drop-last is on.");
        _count = count; _stepBatch = stepBatchSize; _seed = seed; _dropLast = dropLast;
    }

    public string Kind => "random";
    public int StepsPerEpoch => _dropLast ? _count / _stepBatch : (_count + _stepBatch - 1) / _stepBatch;

    public IReadOnlyList<int[]> EpochBatches(int epoch)
    {
        var perm = PhiloxShuffle.Permutation(_count, _seed, 0x5A_0000 + (ulong)epoch);
        return perm.Chunk(_stepBatch).Take(StepsPerEpoch).ToList();
    }
}
