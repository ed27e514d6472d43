using Engine.Runtime;

namespace Engine.Methods.Training;

/// <summary>
/// What the loss of one micro-batch sees, and what extra-loss terms and micro-batch hooks see after it: the model,
/// which examples are in the micro-batch and their weights, the padded batch, the logits and (SFT) the per-token
/// cross-entropy, plus a place for metrics.
/// </summary>
public sealed class TrainingStepContext
{
    public required TrainableModel Model { get; init; }
    /// <summary>The optimizer step being computed (0-based: the number of steps done before it).</summary>
    public required long Step { get; init; }
    public required int Epoch { get; init; }
    public required int MicroBatch { get; init; }
    /// <summary>Indices of this micro-batch's examples in the training set (the held-out set when not <see cref="Training"/>).</summary>
    public required IReadOnlyList<int> ExampleIndices { get; init; }
    /// <summary>
    /// Each example's weight (the trainer's <c>ExampleWeight</c>: SFT's per-record weight, or what a method sets). The
    /// SFT loss and per-example extra terms multiply by it.
    /// </summary>
    public required IReadOnlyList<double> ExampleWeights { get; init; }
    /// <summary>Examples in the whole optimizer step (all its micro-batches): what per-example terms average over.</summary>
    public required int StepExamples { get; init; }
    /// <summary>
    /// This micro-batch's share of the step's normaliser (its tokens or examples over the step's). A <see cref="ExtraLoss.Mean"/>
    /// term is a per-batch mean and gets multiplied by this share, so accumulation sums to a step mean.
    /// </summary>
    public required double Share { get; init; }
    public bool Training { get; init; } = true;
    /// <summary>The model input (for preference trainers, the policy's concatenated chosen/rejected or matched rows).</summary>
    public TokenBatch? Batch { get; set; }
    /// <summary>Logits [B, T, V] of <see cref="Batch"/>, with their graph; null when SFT computes its loss in chunks (<see cref="TrainerOptions.LossChunkTokens"/>).</summary>
    public Tensor? Logits { get; set; }
    /// <summary>SFT: cross-entropy per target position [B, T] (0 where the target is −100), with its graph.</summary>
    public Tensor? PerTokenLoss { get; set; }
    /// <summary>Per-step metrics; values added here are summed over the step's micro-batches, so add share-weighted values.</summary>
    public Dictionary<string, double> Metrics { get; } = [];
}
