namespace Engine.Methods.Training.Sampling;

/// <summary>
/// Batches in a given order (a curriculum: easy to hard, by length, by a score), cut into step batches.
/// The order may change per epoch through the function form; it must be deterministic for resume to work.
/// </summary>
public sealed class CurriculumBatchSampler : IEpochBatchSampler
{
    private readonly Func<int, IReadOnlyList<int>> _order;
    private readonly int _stepBatch, _length;

    public CurriculumBatchSampler(IReadOnlyList<int> order, int stepBatchSize) : this(_ => order, order.Count, stepBatchSize) { }

    /// <param name="orderOfEpoch">The example order of each epoch; every epoch must have <paramref name="length"/> entries.</param>
    public CurriculumBatchSampler(Func<int, IReadOnlyList<int>> orderOfEpoch, int length, int stepBatchSize)
    {
        if (length <= 0) throw new ArgumentException("The curriculum is empty.");
        if (stepBatchSize <= 0) throw new ArgumentException($"step batch size must be positive, got {stepBatchSize}.");
        _order = orderOfEpoch; _length = length; _stepBatch = stepBatchSize;
    }

    public string Kind => "curriculum";
    public int StepsPerEpoch => (_length + _stepBatch - 1) / _stepBatch;

    public IReadOnlyList<int[]> EpochBatches(int epoch)
    {
        var o = _order(epoch);
        if (o.Count != _length) throw new InvalidOperationException($"Curriculum order of epoch {epoch} has {o.Count} entries, expected {_length}.");
        return o.Chunk(_stepBatch).ToList();
    }
}
