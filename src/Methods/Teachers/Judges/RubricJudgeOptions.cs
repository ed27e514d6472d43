namespace Engine.Methods.Teachers.Judges;

/// <summary>
/// How <see cref="RubricJudge"/> asks: the prompt, the rubric and the sampling of the grader. Defaults follow the
/// Prometheus-2 absolute grading that APT uses: temperature 1.0, top-p 0.9, up to 1,024 new tokens, repetition
/// penalty 1.03, and up to 10 attempts per record when no score can be read.
/// </summary>
public sealed record RubricJudgeOptions
{
    /// <summary>User prompt with {instruction}, {response}, {reference_answer} and {rubric}.</summary>
    public string Template { get; init; } = JudgePrompts.AbsoluteGrading;
    /// <summary>System prompt (null: none).</summary>
    public string? System { get; init; } = JudgePrompts.AbsoluteGradingSystem;
    public string Rubric { get; init; } = JudgePrompts.CorrectnessRubric;
    /// <summary>What {reference_answer} becomes for a record without a gold response.</summary>
    public string NoReference { get; init; } = "(no reference answer is available; grade by the rubric alone)";
    public double Temperature { get; init; } = 1.0;
    public double TopP { get; init; } = 0.9;
    public int MaxTokens { get; init; } = 1024;
    public double RepetitionPenalty { get; init; } = 1.03;
    /// <summary>Replies asked for per record before it is skipped as unscored.</summary>
    public int MaxAttempts { get; init; } = 10;
    /// <summary>Attempt a of record i asks with seed Seed + i·MaxAttempts + a, so every attempt is its own draw (and cache entry).</summary>
    public long Seed { get; init; }
    /// <summary>Who grades (e.g. the --judge spec), recorded in job fingerprints: a resumed run with another grader is refused.</summary>
    public string TeacherIdentity { get; init; } = "";

    public void Validate()
    {
        foreach (var p in new[] { "instruction", "response", "rubric" })
            if (!Template.Contains("{" + p + "}", StringComparison.Ordinal))
                throw new ArgumentException($"The judge template has no {{{p}}} placeholder (it needs {{instruction}}, {{response}} and {{rubric}}; {{reference_answer}} is optional).");
        if (string.IsNullOrWhiteSpace(Rubric)) throw new ArgumentException("The judge rubric is empty.");
        if (MaxAttempts < 1) throw new ArgumentException($"judge attempts must be ≥ 1, got {MaxAttempts}.");
        if (MaxTokens < 1) throw new ArgumentException($"judge max tokens must be ≥ 1, got {MaxTokens}.");
        if (Temperature < 0 || TopP is <= 0 or > 1 || RepetitionPenalty <= 0)
            throw new ArgumentException("judge sampling: temperature ≥ 0, top-p in (0, 1], repetition penalty > 0.");
    }
}
