namespace Engine.Runtime;

/// <summary>
/// Logits processing with transformers' semantics, applied in this order: repetition penalty (a seen token's
/// logit l becomes l/penalty when l &gt; 0, l·penalty otherwise), temperature (0 = greedy argmax, lowest id on ties),
/// top-k (0 = off), top-p (smallest prefix whose mass reaches TopP, at least one token; 1 = off),
/// min-p (drop tokens with p &lt; MinP·p_max; 0 = off).
/// </summary>
public readonly record struct SamplingParams(double Temperature = 0, int TopK = 0, double TopP = 1.0, double MinP = 0, double RepetitionPenalty = 1.0)
{
    public bool Greedy => Temperature == 0;

    public void Validate()
    {
        if (!(Temperature >= 0) || double.IsInfinity(Temperature)) throw new ArgumentException($"SampleTokens: Temperature must be finite and ≥ 0 (0 = greedy), got {Temperature}.");
        if (TopK < 0) throw new ArgumentException($"SampleTokens: TopK must be ≥ 0 (0 = off), got {TopK}.");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"SampleTokens: TopP must be in (0, 1], got {TopP}.");
        if (!(MinP >= 0 && MinP <= 1)) throw new ArgumentException($"SampleTokens: MinP must be in [0, 1], got {MinP}.");
        if (!(RepetitionPenalty > 0) || double.IsInfinity(RepetitionPenalty)) throw new ArgumentException($"SampleTokens: RepetitionPenalty must be finite and > 0, got {RepetitionPenalty}.");
    }
}

/// <summary>One token per row: Ids [B] I64 and LogProbs [B] F64, log softmax of the unprocessed logits at the chosen id.</summary>
public readonly record struct SampledTokens(Tensor Ids, Tensor LogProbs);

public partial interface IBackend
{
    /// <summary>
    /// One token per row of <paramref name="logits"/> [B, V] F32 (contiguous), on this backend's device.
    /// Candidates are ordered by logit descending, ties by lower id first; the draw of row r is
    /// u = Philox.ToUniform(Philox.Word(seed, offset + r·2²⁴, 0)) · (mass kept), and the chosen token is the first
    /// in that order whose cumulative mass exceeds u. <paramref name="previousTokens"/> [B, L] I64 (or null) lists
    /// the ids the repetition penalty applies to; negative entries are padding (an id ≥ V is an error on the CPU and
    /// ignored by the CUDA kernel). −inf logits are fine; rows with NaN or +inf logits give unspecified tokens.
    /// Backends agree token for token: probabilities are computed in double with the same expressions, so they can
    /// differ only when the uniform or top_p falls within double rounding (~1e-15) of a cumulative-mass boundary.
    /// </summary>
    SampledTokens SampleTokens(Tensor logits, SamplingParams p, ulong seed, ulong offset, Tensor? previousTokens);
}
