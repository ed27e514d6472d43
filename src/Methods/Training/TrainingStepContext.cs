using Engine.Runtime;

namespace Engine.Methods.Training;

/// <summary>
/// What an extra-loss term or a micro-batch hook sees: the model, which examples are in the micro-batch,
/// the padded batch, the logits and (SFT) the per-token cross-entropy, plus a place for metrics.
/// </summary>
public sealed class TrainingStepContext
{
    public required TrainableModel Model { get; init; }
    /// <summary>The optimizer step being computed (0-based: the number of steps done before it).</summary>
    public required long Step { get; init; }
    public required int Epoch { get; init; }
    public required int MicroBatch { get; init; }
    /// <summary>Indices of this micro-batch's examples in the training set.</summary>
    public required IReadOnlyList<int> ExampleIndices { get; init; }
    /// <summary>
    /// This micro-batch's share of the step's normaliser (its tokens or examples over the step's). An extra
    /// loss is a per-batch mean and gets multiplied by this share, so accumulation sums to a step mean.
    /// </summary>
    public required double Share { get; init; }
    public bool Training { get; init; } = true;
    /// <summary>The model input (for preference trainers, the policy's concatenated chosen/rejected or matched rows).</summary>
    public TokenBatch? Batch { get; set; }
    /// <summary>Logits [B, T, V] of <see cref="Batch"/>, with their graph.</summary>
    public Tensor? Logits { get; set; }
    /// <summary>SFT: cross-entropy per target position [B, T] (0 where the target is −100), with its graph.</summary>
    public Tensor? PerTokenLoss { get; set; }
    /// <summary>Per-step metrics; values added here are summed over the step's micro-batches, so add share-weighted values.</summary>
    public Dictionary<string, double> Metrics { get; } = [];
}
