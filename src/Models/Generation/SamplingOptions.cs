namespace Engine.Models.Generation;

/// <summary>
/// Decoding settings with transformers' semantics. Temperature 0 means greedy. Processing order per step:
/// repetition penalty, temperature, top-k, top-p, min-p, then a draw from the Philox stream of Seed. Candidates are
/// ordered by logit, equal logits by lower token id (as greedy breaks ties), on every backend.
/// </summary>
public sealed record SamplingOptions
{
    public int MaxNewTokens { get; init; } = 128;
    public double Temperature { get; init; } = 0;
    public int TopK { get; init; }
    public double TopP { get; init; } = 1.0;
    public double MinP { get; init; }
    public double RepetitionPenalty { get; init; } = 1.0;
    public ulong Seed { get; init; }
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    /// <summary>Token ids that end a sequence; defaults to the model's generation_config / config eos ids.</summary>
    public IReadOnlyList<int>? EosTokenIds { get; init; }

    public void Validate()
    {
        if (MaxNewTokens < 0) throw new ArgumentException("MaxNewTokens must be ≥ 0.");
        if (Temperature < 0) throw new ArgumentException("Temperature must be ≥ 0 (0 = greedy).");
        if (TopK < 0) throw new ArgumentException("TopK must be ≥ 0 (0 = off).");
        if (TopP is <= 0 or > 1) throw new ArgumentException("TopP must be in (0, 1].");
        if (MinP is < 0 or > 1) throw new ArgumentException("MinP must be in [0, 1].");
        if (RepetitionPenalty <= 0) throw new ArgumentException("RepetitionPenalty must be > 0.");
    }

    /// <summary>The logits-processing part, as the SampleTokens op takes it.</summary>
    public Engine.Runtime.SamplingParams ToParams() => new(Temperature, TopK, TopP, MinP, RepetitionPenalty);
}

/// <summary>One generated continuation. LogProbs[i] is log p(token i) under the model's unmodified distribution.</summary>
public sealed record GenerationResult(int[] TokenIds, string Text, double[] LogProbs, string FinishReason);
