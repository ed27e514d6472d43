namespace Engine.Methods.Synthesis.AQuilt;

/// <summary>
/// Synthesis: for every passage and task type, <see cref="NumSamples"/> samples of (question, thinking steps, answer).
/// Defaults are the released generation script's: T 0.7, top-p 0.95, 1024 new tokens, seed 0, one sample.
/// </summary>
public sealed record AQuiltSynthesisOptions
{
    public required IReadOnlyList<AQuiltTask> Tasks { get; init; }
    /// <summary>Text the question must start with (prefix forcing: the prompt ends with the JSON opening and this prefix); null = none.</summary>
    public string? TaskPrefix { get; init; }
    /// <summary>End the prompt with the JSON opening (```json + {"question": ") even without a task prefix.</summary>
    public bool ForceJson { get; init; }
    public double Temperature { get; init; } = 0.7;
    public double TopP { get; init; } = 0.95;
    public int TopK { get; init; }
    public int MaxNewTokens { get; init; } = 1024;
    public ulong Seed { get; init; }
    public int NumSamples { get; init; } = 1;
    /// <summary>Samples drawn per output until one parses (each attempt its own random stream); the last failure is written with its reason.</summary>
    public int MaxAttempts { get; init; } = 3;
    /// <summary>Rows per forward pass for a local model (fixed-shape batches, see StableBatches).</summary>
    public int BatchSize { get; init; } = 8;
    /// <summary>Cut passages to this many characters first (0 = no limit); a local model also cuts a passage that does not fit its context.</summary>
    public int MaxPassageChars { get; init; }
    public AQuiltPrompts Prompts { get; init; } = AQuiltPrompts.Default;

    public void Validate()
    {
        if (Tasks.Count == 0) throw new ArgumentException("AQuilt synthesis needs at least one task type.");
        if (Temperature < 0) throw new ArgumentException($"--temperature must be ≥ 0, got {Temperature}.");
        if (TopP is <= 0 or > 1) throw new ArgumentException($"--top-p must be in (0, 1], got {TopP}.");
        if (TopK < 0) throw new ArgumentException($"--top-k must be ≥ 0, got {TopK}.");
        if (MaxNewTokens < 1) throw new ArgumentException($"--max-new-tokens must be ≥ 1, got {MaxNewTokens}.");
        if (NumSamples < 1) throw new ArgumentException($"--num-samples must be ≥ 1, got {NumSamples}.");
        if (MaxAttempts is < 1 or > 64) throw new ArgumentException($"--max-attempts must be in 1..64, got {MaxAttempts}.");
        if (BatchSize < 1) throw new ArgumentException($"--batch-size must be ≥ 1, got {BatchSize}.");
        if (MaxPassageChars < 0) throw new ArgumentException($"--max-passage-chars must be ≥ 0, got {MaxPassageChars}.");
    }
}

/// <summary>
/// Self-inspection of generated samples: an analysis and a 1–5 score per sample. Greedy by default, as the released
/// scoring script (its generation script samples at T 0.7; the specification settles on greedy).
/// </summary>
public sealed record AQuiltInspectionOptions
{
    public double Temperature { get; init; }
    public double TopP { get; init; } = 0.95;
    public int MaxNewTokens { get; init; } = 1024;
    public ulong Seed { get; init; }
    /// <summary>Attempts until the inspection parses; greedy decoding repeats itself, so more than one only helps with T &gt; 0.</summary>
    public int MaxAttempts { get; init; } = 1;
    public int BatchSize { get; init; } = 8;
    public int MaxPassageChars { get; init; }
    public AQuiltPrompts Prompts { get; init; } = AQuiltPrompts.Default;

    public void Validate()
    {
        if (Temperature < 0) throw new ArgumentException($"--temperature must be ≥ 0, got {Temperature}.");
        if (TopP is <= 0 or > 1) throw new ArgumentException($"--top-p must be in (0, 1], got {TopP}.");
        if (MaxNewTokens < 1) throw new ArgumentException($"--max-new-tokens must be ≥ 1, got {MaxNewTokens}.");
        if (MaxAttempts is < 1 or > 64) throw new ArgumentException($"--max-attempts must be in 1..64, got {MaxAttempts}.");
        if (BatchSize < 1) throw new ArgumentException($"--batch-size must be ≥ 1, got {BatchSize}.");
        if (MaxPassageChars < 0) throw new ArgumentException($"--max-passage-chars must be ≥ 0, got {MaxPassageChars}.");
    }
}

/// <summary>What the diversity rule compares: the finished instruction (with the passage, for task types that carry it) or the question alone.</summary>
public enum DiversityText { Instruction, Question }

/// <summary>
/// Filtering inspected samples into SFT data. The keep rule is the released one (≥ 3, or ≥ 2 when more than 20 % of
/// the samples score 1–2). The diversity and text-independence rules come from AQuilt's training-data construction;
/// the released use-time pipeline does not run them, so they are off unless asked for.
/// </summary>
public sealed record AQuiltFilterOptions
{
    public int MinScore { get; init; } = 3;
    public int RelaxedMinScore { get; init; } = 2;
    /// <summary>When the share of samples in buckets 1–2 exceeds this, the minimum score becomes <see cref="RelaxedMinScore"/>.</summary>
    public double LowShareThreshold { get; init; } = 0.2;
    /// <summary>Apply the keep rule (off: keep every parsed sample whatever its score, e.g. for data never inspected).</summary>
    public bool UseScores { get; init; } = true;
    /// <summary>Drop a sample whose ROUGE-L F against an already kept sample of the same task type reaches this (Self-Instruct: 0.7); null = off. Exact duplicates go first.</summary>
    public double? DiversityThreshold { get; init; }
    public DiversityText DiversityOn { get; init; } = DiversityText.Instruction;
    /// <summary>Drop stand-alone questions (task types that do not carry the passage) that point at the text.</summary>
    public bool TextIndependence { get; init; }
    /// <summary>Drop samples whose instruction + output exceed this many characters (0 = off; AQuilt uses 2300 for translation and essays).</summary>
    public int MaxChars { get; init; }
    /// <summary>Overrides the instruction template for every task type (<c>{context}</c>, <c>{question}</c>); null = the prompts' open-book instruction or the bare question.</summary>
    public string? InstructionTemplate { get; init; }
    /// <summary>The SFT output: AQuilt's "Thinking steps:…\nAnswer:…" (placeholders <c>{thinking_steps}</c>, <c>{answer}</c>).</summary>
    public string OutputTemplate { get; init; } = "Thinking steps:{thinking_steps}\nAnswer:{answer}";
    public AQuiltPrompts Prompts { get; init; } = AQuiltPrompts.Default;

    public void Validate()
    {
        if (MinScore is < 1 or > 5 || RelaxedMinScore is < 1 or > 5) throw new ArgumentException($"--min-score and --relaxed-min-score must be in 1..5, got {MinScore} and {RelaxedMinScore}.");
        if (LowShareThreshold is < 0 or > 1 || double.IsNaN(LowShareThreshold)) throw new ArgumentException($"--low-share must be in [0, 1], got {LowShareThreshold}.");
        if (DiversityThreshold is { } d && (d <= 0 || d > 1 || double.IsNaN(d))) throw new ArgumentException($"--diversity must be in (0, 1], got {d}.");
        if (MaxChars < 0) throw new ArgumentException($"--max-chars must be ≥ 0, got {MaxChars}.");
        if (!OutputTemplate.Contains("{answer}", StringComparison.Ordinal)) throw new ArgumentException("--output-template must contain {answer}.");
        if (InstructionTemplate is { } t && !t.Contains("{question}", StringComparison.Ordinal)) throw new ArgumentException("--instruction-template must contain {question}.");
    }
}

/// <summary>
/// Turning build records into the synthesiser's two training formats: generation (prompt → fenced JSON pair) for
/// samples scoring at least <see cref="GenerationMinScore"/>, and inspection (prompt + pair → fenced JSON analysis and
/// score) for every scored sample, its five levels balanced by down-sampling.
/// </summary>
public sealed record AQuiltTrainingDataOptions
{
    /// <summary>Samples below this score are not generation targets (records without a score always are).</summary>
    public int GenerationMinScore { get; init; } = 3;
    public bool Generation { get; init; } = true;
    public bool Inspection { get; init; } = true;
    /// <summary>Balance the inspection examples over score buckets 1–5 by down-sampling to the smallest bucket.</summary>
    public bool BalanceLevels { get; init; } = true;
    /// <summary>With balancing: keep at most this many per level instead of the smallest level's count.</summary>
    public int? LevelCap { get; init; }
    public ulong Seed { get; init; }
    public AQuiltPrompts Prompts { get; init; } = AQuiltPrompts.Default;

    public void Validate()
    {
        if (GenerationMinScore is < 1 or > 5) throw new ArgumentException($"--generation-min-score must be in 1..5, got {GenerationMinScore}.");
        if (!Generation && !Inspection) throw new ArgumentException("Nothing to train: both the generation and the inspection format are off.");
        if (LevelCap is < 1) throw new ArgumentException($"--level-cap must be ≥ 1, got {LevelCap}.");
    }
}
