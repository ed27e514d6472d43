using Engine.Runtime;

namespace Engine.Models.Transformer;

/// <summary>The LM head and next-token cross-entropy computed a block of positions at a time, for training on long contexts.</summary>
public sealed partial class TransformerModel
{
    /// <summary>Positions per block of the automatic chunked loss (<see cref="AutoLossChunkTokens"/>).</summary>
    public const int DefaultLossChunkTokens = 512;

    /// <summary>
    /// True when <see cref="ChunkedCrossEntropy"/> runs as the fused <see cref="Ops.LinearCrossEntropy"/> (f32/f64 LM head,
    /// no autocast), which back-propagates each block in the forward and so costs no extra LM-head matmul.
    /// </summary>
    public bool FusesLinearCrossEntropy => ComputeDType is null && LmHead.DType is DType.F32 or DType.F64;

    /// <summary>
    /// The LM-head chunk a trainer uses when the caller did not choose one: <see cref="DefaultLossChunkTokens"/> where
    /// the fused loss runs on the CPU (measured there: the 56M model's 8 × 255 step 1.36× faster and 0.5 GB lighter than
    /// with the full logits, bench/results/cpu-training-step.md), else 0, the full logits (under autocast each block's
    /// matmul would be rerun; on CUDA the fused op has not been timed against the full logits).
    /// </summary>
    public int AutoLossChunkTokens => Device.IsCpu && FusesLinearCrossEntropy ? DefaultLossChunkTokens : 0;

    /// <summary>
    /// Cross-entropy per position [N] of the LM head's logits for final hidden states <paramref name="hidden"/> [N, H]
    /// against <paramref name="targets"/> [N] (0 where the target is <paramref name="ignoreIndex"/>): the same values as
    /// <c>Ops.CrossEntropy(Logits(hidden), targets, ignoreIndex, Reduction.None)</c>, but computed
    /// <paramref name="chunkTokens"/> positions at a time, so neither the [N, vocab] logits nor their gradient ever exist
    /// for all N at once. In f32/f64 without autocast this is <see cref="Ops.LinearCrossEntropy"/>, which back-propagates
    /// each block in the forward and so runs no extra matmul; otherwise each block is checkpointed
    /// (<see cref="Checkpoint.RunByRows"/>) and its LM-head matmul rerun in the backward. Values and gradients equal the plain path's to rounding: a block's matmuls have fewer rows (the GEMM's
    /// edge tiles may accumulate in another order) and the LM head's weight gradient is summed block by block.
    /// </summary>
    public Tensor ChunkedCrossEntropy(Tensor hidden, Tensor targets, int chunkTokens, int ignoreIndex = -100)
    {
        if (hidden.Rank != 2 || hidden.Size(1) != Config.HiddenSize)
            throw new ArgumentException($"hidden must be [positions, {Config.HiddenSize}], got {hidden.ShapeString}.");
        if (targets.Rank != 1 || targets.Size(0) != hidden.Size(0))
            throw new ArgumentException($"targets must be [{hidden.Size(0)}], got {targets.ShapeString}.");
        if (chunkTokens <= 0) throw new ArgumentOutOfRangeException(nameof(chunkTokens), $"chunkTokens must be positive, got {chunkTokens}.");
        // f32/f64 without autocast: the fused op (no checkpointed rerun of the forward; one chunk's logits at a time).
        if (FusesLinearCrossEntropy && hidden.DType == LmHead.DType)
            return Ops.LinearCrossEntropy(hidden, LmHead, targets, chunkTokens, ignoreIndex);
        return Checkpoint.RunByRows((h, first) => Ops.CrossEntropy(Logits(h), targets.Narrow(0, first, h.Size(0)).Contiguous(), ignoreIndex, Reduction.None),
            hidden, chunkTokens, [LmHead]);
    }
}
