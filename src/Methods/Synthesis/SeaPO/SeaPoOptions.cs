namespace Engine.Methods.Synthesis.SeaPO;

/// <summary>Targeted: one error type for the whole data set. Mixed: every type injected per record, one negative picked per record.</summary>
public enum SeaPoMode { Targeted, Mixed }

/// <summary>
/// SeaPO injection options. Defaults follow the official code: greedy decoding, up to 1024 new tokens, the three
/// error types; the guards' length bounds [0.5, 2.0] are ours (the code has no guards).
/// </summary>
public sealed record SeaPoOptions
{
    public IReadOnlyList<SeaPoErrorType> Types { get; init; } = SeaPoErrorTypes.All;
    public SeaPoMode Mode { get; init; } = SeaPoMode.Mixed;
    public SeaPoPrompts Prompts { get; init; } = SeaPoPrompts.Default;
    /// <summary>New tokens per injection (the code's max_tokens).</summary>
    public int MaxNewTokens { get; init; } = 1024;
    public double MinLengthRatio { get; init; } = 0.5;
    public double MaxLengthRatio { get; init; } = 2.0;
    /// <summary>Injection prompts decoded together (local injector).</summary>
    public int BatchSize { get; init; } = 8;
    /// <summary>Seed of the mixed mode's one-time pick of a negative per record.</summary>
    public ulong Seed { get; init; } = 42;

    public void Validate()
    {
        if (Types.Count == 0) throw new ArgumentException("SeaPO: no error type given.");
        if (Types.Distinct().Count() != Types.Count) throw new ArgumentException("SeaPO: an error type is given twice.");
        if (Mode == SeaPoMode.Targeted && Types.Count != 1)
            throw new ArgumentException($"SeaPO: targeted mode injects one error type, got {Types.Count} ({string.Join(", ", Types.Select(t => t.Name()))}); use --mode mixed, or one type.");
        if (MaxNewTokens < 1) throw new ArgumentException("SeaPO: max new tokens must be ≥ 1.");
        if (!(MinLengthRatio > 0) || !(MaxLengthRatio >= MinLengthRatio))
            throw new ArgumentException($"SeaPO: length ratio bounds must satisfy 0 < min ≤ max, got [{MinLengthRatio}, {MaxLengthRatio}].");
        if (BatchSize < 1) throw new ArgumentException("SeaPO: batch size must be ≥ 1.");
    }
}
