namespace Engine.Methods.Training;

/// <summary>
/// All examples of one optimizer step (or of one evaluation pass), before its micro-batches run: what a trainer's
/// <c>BeginStep</c> sees, e.g. to count the step's tokens or to estimate KTO's KL reference point over the whole step.
/// </summary>
public sealed class StepExamples<TExample>
{
    public StepExamples(bool training, int[] indices, TExample[] examples, int microBatchSize)
    {
        if (indices.Length != examples.Length) throw new ArgumentException($"{indices.Length} indices for {examples.Length} examples.");
        if (microBatchSize <= 0) throw new ArgumentException($"micro-batch size must be positive, got {microBatchSize}.");
        Training = training; Indices = indices; Examples = examples; MicroBatchSize = microBatchSize;
    }

    /// <summary>True for a training step, false for an evaluation pass (indices then refer to the held-out set).</summary>
    public bool Training { get; }
    public int[] Indices { get; }
    public TExample[] Examples { get; }
    public int MicroBatchSize { get; }
    public int Count => Indices.Length;

    /// <summary>The micro-batches in the order the trainer runs them.</summary>
    public IEnumerable<(ArraySegment<int> Indices, ArraySegment<TExample> Examples)> MicroBatches()
    {
        for (int at = 0; at < Count; at += MicroBatchSize)
        {
            int n = Math.Min(MicroBatchSize, Count - at);
            yield return (new ArraySegment<int>(Indices, at, n), new ArraySegment<TExample>(Examples, at, n));
        }
    }
}
