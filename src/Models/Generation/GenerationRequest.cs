namespace Engine.Models.Generation;

/// <summary>
/// One request to a <see cref="ContinuousBatcher"/>: a prompt, its decoding settings and how many independent
/// continuations (<see cref="N"/>) to sample from it.
/// </summary>
/// <remarks>
/// Reproducibility: choice j's draw at step s is Philox word (Sampling.Seed, (j &lt;&lt; 24) | s, 0) whatever else is in
/// the batch, the rule <see cref="TextGenerator"/> applies to row j of a batch that starts at row 0. So a request gives
/// the tokens TextGenerator gives for the same prompt repeated N times, up to float rounding of the logits.
/// </remarks>
public sealed record GenerationRequest(int[] PromptIds, SamplingOptions Sampling)
{
    /// <summary>Independent continuations of the prompt (OpenAI's n).</summary>
    public int N { get; init; } = 1;

    /// <summary>Most likely alternatives reported per generated token (OpenAI's top_logprobs; 0 = none).</summary>
    public int TopLogProbs { get; init; }

    public void Validate()
    {
        Sampling.Validate();
        if (PromptIds.Length == 0) throw new ArgumentException("The prompt must not be empty (encode with special tokens, or add a BOS).");
        if (N < 1) throw new ArgumentException("N must be ≥ 1.");
        if (TopLogProbs < 0) throw new ArgumentException("TopLogProbs must be ≥ 0.");
    }
}

/// <summary>A generated token, its log-probability under the unmodified model distribution, and the best alternatives.</summary>
public sealed record TokenLogProb(int TokenId, double LogProb, IReadOnlyList<(int TokenId, double LogProb)> Top);

/// <summary>
/// New output of one choice: text that is final (held back while it could still become a stop string or an
/// incomplete character), the tokens generated since the last chunk, and a finish reason on the last chunk
/// ("eos", "stop" or "length").
/// </summary>
public sealed record GenerationChunk(int Choice, string Text, IReadOnlyList<TokenLogProb> Tokens, string? FinishReason);
