using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Methods.Training.Preference;

/// <summary>log π(y|x) as TRL and LLaMA-Factory compute it: the sum of the completion tokens' log-probabilities.</summary>
public static class SequenceLogProbs
{
    /// <summary>Per-row sums [B] (differentiable when the model is) and the masked per-token log-probs [B, T].</summary>
    public static (Tensor sums, Tensor tokenLogProbs) Compute(TransformerModel model, TokenBatch batch)
    {
        var logits = model.Forward(batch.Ids, batch.KeyMask);
        return FromLogits(logits, batch);
    }

    public static (Tensor sums, Tensor tokenLogProbs) FromLogits(Tensor logits, TokenBatch batch)
    {
        var lp = Ops.TokenLogProbs(logits, batch.SafeTargets());
        var masked = Ops.Mul(lp, batch.CountedMask(lp.DType));
        return (Ops.Sum(masked, 1), masked);
    }
}
