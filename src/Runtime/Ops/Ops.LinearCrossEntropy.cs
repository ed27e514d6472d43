namespace Engine.Runtime;

public static partial class Ops
{
    /// <summary>
    /// Cross-entropy per row of the logits hidden·weightᵀ: hidden [N, H], weight [V, H] (an LM head), targets [N] I64
    /// (or I32) → [N], 0 where the target is <paramref name="ignoreIndex"/>. The same values as
    /// <c>CrossEntropy(Linear(hidden, weight), targets, ignoreIndex, Reduction.None)</c>, but the logits exist for at most
    /// <paramref name="chunkRows"/> rows at a time, so neither the [N, V] logits nor their gradient is ever materialised.
    /// <para>
    /// When recording, the forward also back-propagates each chunk at once with unit row weights (softmax − one-hot,
    /// then its two GEMMs), keeping dH₁ [N, H] and dW₁ [V, H] instead of any logits. The backward then scales them by the
    /// incoming row gradient g: dH = g ⊙ dH₁ row by row, and dW = c·dW₁ when g is one value c on every counted row
    /// (a mean or a sum, the usual case); otherwise dW is rebuilt chunk by chunk from recomputed logits. So the step runs
    /// the same three LM-head GEMMs as the unfused path, with one [chunk, V] buffer at a time instead of [N, V] twice.
    /// Values and gradients equal the unfused path's to rounding (a chunk's GEMMs have fewer rows; dW is summed over
    /// chunks; the scale is applied after the GEMMs instead of before).
    /// </para>
    /// </summary>
    public static Tensor LinearCrossEntropy(Tensor hidden, Tensor weight, Tensor targets, int chunkRows, int ignoreIndex = -100)
    {
        if (hidden.Rank != 2) throw new ArgumentException($"LinearCrossEntropy: hidden must be [N, H], got {hidden.ShapeString}.");
        if (weight.Rank != 2 || weight.Size(1) != hidden.Size(1))
            throw new ArgumentException($"LinearCrossEntropy: weight must be [V, {hidden.Size(1)}], got {weight.ShapeString}.");
        if (hidden.DType != weight.DType || hidden.DType is not (DType.F32 or DType.F64))
            throw new ArgumentException($"LinearCrossEntropy: hidden ({hidden.DType}) and weight ({weight.DType}) must both be F32 or both F64.");
        if (targets.Rank != 1 || targets.Size(0) != hidden.Size(0) || targets.DType is not (DType.I64 or DType.I32))
            throw new ArgumentException($"LinearCrossEntropy: targets must be I64 (or I32) [{hidden.Size(0)}], got {targets.DType} {targets.ShapeString}.");
        if (chunkRows <= 0) throw new ArgumentOutOfRangeException(nameof(chunkRows), $"LinearCrossEntropy: chunkRows must be positive, got {chunkRows}.");
        var be = Backend.Of(hidden, weight, targets);
        var hc = hidden.Contiguous(); var wc = weight.Contiguous(); var tc = targets.Contiguous();
        int n = hc.Size(0);
        bool record = Autograd.Needs(hc, wc);
        var state = new LinearCrossEntropyState(be, hc, wc, tc, chunkRows, ignoreIndex);
        var nll = state.Forward(record);
        if (!record) return nll;
        return Autograd.Record(nll, "LinearCrossEntropy", [hc, wc], g => state.Backward(ReshapeNoGrad(g.Contiguous(), [n])));
    }
}
