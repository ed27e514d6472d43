namespace Engine.Methods.Selection.CDT;

/// <summary>Tagging options. Defaults follow the paper: greedy decoding, 256 new tokens, one reply per dimension.</summary>
public sealed record CdtTagOptions
{
    /// <summary>Who answers (a content digest of a local model, or the endpoint and model name): part of the job fingerprint.</summary>
    public required string TeacherIdentity { get; init; }
    public CdtLabelSet Labels { get; init; } = CdtLabelSet.Default;
    public CdtPrompts Prompts { get; init; } = CdtPrompts.Default;
    /// <summary>Options with definitions (the paper) or names only (for a tagger with a short context, such as the local one).</summary>
    public CdtPromptStyle Style { get; init; } = CdtPromptStyle.Full;
    /// <summary>Replies per dimension: the first, plus follow-ups while an answer names no label (the paper: 1).</summary>
    public int Attempts { get; init; } = 1;
    /// <summary>Most tokens per reply (the paper: 256).</summary>
    public int MaxNewTokens { get; init; } = 256;
    /// <summary>Mixed into every sample's option-order seed; 0 keeps the order a pure function of the instruction.</summary>
    public ulong OptionSeed { get; init; }
    /// <summary>Teacher calls in flight at once (a local teacher decodes them in one continuous batch; a remote one also obeys its own limits).</summary>
    public int Concurrency { get; init; } = 48;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(TeacherIdentity)) throw new ArgumentException("The tagger needs a teacher identity for the job fingerprint.");
        if (Attempts < 1) throw new ArgumentException("attempts must be ≥ 1.");
        if (MaxNewTokens < 1) throw new ArgumentException("max new tokens must be ≥ 1.");
        if (Concurrency < 1) throw new ArgumentException("concurrency must be ≥ 1.");
    }
}

/// <summary>Selection options. Defaults from the paper's scripts: 20% of the pool, seed 1234, support matching.</summary>
public sealed record CdtSelectOptions
{
    /// <summary>Fraction of the pool kept: ⌈N · ratio⌉ records (ignored when <see cref="TopN"/> is set).</summary>
    public double Ratio { get; init; } = 0.2;
    public int? TopN { get; init; }
    public ulong Seed { get; init; } = 1234;
    public CdtSpecificMode SpecificMode { get; init; } = CdtSpecificMode.Support;

    public int Count(int poolSize) => Math.Min(poolSize, TopN ?? CdtSelection.CountForRatio(poolSize, Ratio));

    public void Validate()
    {
        if (Ratio is < 0 or > 1 || double.IsNaN(Ratio)) throw new ArgumentException($"ratio must be in [0, 1], got {Ratio}.");
        if (TopN is < 0) throw new ArgumentException("top-n must be ≥ 0.");
    }
}
