using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;

namespace Engine.Methods.Teachers.Judges;

/// <summary>
/// What a judge grades: the instruction, the response, the reference (gold) response when there is one, and the
/// record it came from (a checker reads its <c>task</c> and <c>answer</c>). <see cref="Index"/> is the record's index
/// in its job, so a sampling judge draws the same seeds for a record in any shard or resumed run.
/// </summary>
public sealed record JudgeRequest(string Instruction, string Response, string? Reference = null, DataRecord? Record = null)
{
    public long Index { get; init; }
}

/// <summary>
/// A grade on the 1–5 scale, or none: <see cref="Score"/> is null when the judge could not grade the record, and
/// <see cref="SkipReason"/> says why (no gold answer, no parseable score in every attempt, ...). Skips are counted by
/// the caller, never thrown. <see cref="Feedback"/> is the judge's text (an LLM's last reply, a checker's verdict).
/// </summary>
public sealed record Judgement(int? Score, string? Feedback, int Attempts, string? SkipReason = null)
{
    public static Judgement Skip(string reason, int attempts = 0, string? feedback = null) => new(null, feedback, attempts, reason);
}

/// <summary>
/// Grades a response on the absolute 1–5 scale. Implementations: <see cref="RubricJudge"/> (an LLM with a rubric,
/// through any IChatClient) and the testbed's exact checker (Evaluation). Methods take an IJudge and never know which.
/// </summary>
public interface IJudge
{
    /// <summary>Short name ("rubric", "checker"), for reports.</summary>
    string Name { get; }

    /// <summary>Every setting that changes the grades (prompt, rubric, sampling, teacher identity), for resumable jobs.</summary>
    void Describe(JobFingerprint fingerprint);

    /// <summary>Grade one response. Problems with the record or the judge's answer are a <see cref="Judgement.Skip"/>, not an exception.</summary>
    Task<Judgement> JudgeAsync(JudgeRequest request, CancellationToken ct = default);
}
