namespace Engine.Methods.Speech.SelfPowered;

/// <summary>
/// Target generation (<c>engine lsm gen-targets</c>). Defaults are the released code's: the 7 × 5 instruction pool
/// with equal category shares, the raw Vicuna prompt, greedy decoding of at most 225 new tokens, prompts of fewer than
/// 150 tokens, the punctuation post-filter, batches of 32.
/// </summary>
public sealed record SelfPoweredTargetOptions
{
    public InstructionPool Instructions { get; init; } = InstructionPool.Default;
    /// <summary>Categories drawn from, with equal shares (null = every category of the pool).</summary>
    public IReadOnlyList<string>? Categories { get; init; }
    public SpeechPromptFormat Format { get; init; } = SpeechPromptFormat.Vicuna;
    /// <summary>Seed of the per-record draw of category and template.</summary>
    public ulong Seed { get; init; } = 1;
    public int MaxNewTokens { get; init; } = 225;
    /// <summary>Generate only for prompts of fewer tokens than this (a local LLM; a remote teacher's tokens are not counted). 0 = no limit.</summary>
    public int MaxPromptTokens { get; init; } = 150;
    public TargetFilter Filter { get; init; } = TargetFilter.Punctuation;
    /// <summary>Prompts per forward pass of a local LLM.</summary>
    public int BatchSize { get; init; } = 32;

    public IReadOnlyList<InstructionCategory> SelectedCategories => Instructions.Select(Categories);

    public void Validate()
    {
        if (SelectedCategories.Count == 0) throw new ArgumentException("Target generation needs at least one instruction category.");
        if (MaxNewTokens < 1) throw new ArgumentException($"max new tokens must be ≥ 1, got {MaxNewTokens}.");
        if (MaxPromptTokens < 0) throw new ArgumentException($"max prompt tokens must be ≥ 0, got {MaxPromptTokens}.");
        if (BatchSize < 1) throw new ArgumentException($"batch size must be ≥ 1, got {BatchSize}.");
    }
}
