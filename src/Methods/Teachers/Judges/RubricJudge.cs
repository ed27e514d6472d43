using Engine.Methods.Core.Jobs;
using Microsoft.Extensions.AI;

namespace Engine.Methods.Teachers.Judges;

/// <summary>
/// An LLM grader with a rubric (Prometheus-style absolute grading) over any <see cref="IChatClient"/>: the filled
/// template as the user turn (after the system prompt), the score read from the end of the reply
/// (<see cref="JudgeScoreParser"/>). A reply without a score is asked again with the next seed, up to
/// <see cref="RubricJudgeOptions.MaxAttempts"/>; then the record is skipped with the reason. A teacher that fails
/// (an endpoint error after its own retries, a prompt longer than a local model takes) skips the record too, with
/// the error as the reason; the caller counts skips and decides whether too many are a failure.
/// </summary>
public sealed class RubricJudge : IJudge
{
    private readonly IChatClient _teacher;

    public RubricJudge(IChatClient teacher, RubricJudgeOptions? options = null)
    {
        _teacher = teacher;
        Options = options ?? new RubricJudgeOptions();
        Options.Validate();
    }

    public RubricJudgeOptions Options { get; }
    public string Name => "rubric";

    public void Describe(JobFingerprint f)
    {
        f.Add("judge", "rubric");
        f.Add("judge_teacher", Options.TeacherIdentity);
        f.Add("judge_template", ContentDigest.OfText(Options.Template));
        f.Add("judge_system", Options.System is null ? "none" : ContentDigest.OfText(Options.System));
        f.Add("judge_rubric", ContentDigest.OfText(Options.Rubric));
        f.Add("judge_temperature", Options.Temperature);
        f.Add("judge_top_p", Options.TopP);
        f.Add("judge_max_tokens", Options.MaxTokens);
        f.Add("judge_repetition_penalty", Options.RepetitionPenalty);
        f.Add("judge_attempts", Options.MaxAttempts);
        f.Add("judge_seed", Options.Seed);
    }

    /// <summary>The user prompt for a request.</summary>
    public string Prompt(JudgeRequest r) => JudgePrompts.Fill(Options.Template, new Dictionary<string, string>
    {
        ["instruction"] = r.Instruction,
        ["response"] = r.Response,
        ["reference_answer"] = r.Reference ?? Options.NoReference,
        ["rubric"] = Options.Rubric,
    });

    public async Task<Judgement> JudgeAsync(JudgeRequest request, CancellationToken ct = default)
    {
        var prompt = Prompt(request);
        string? last = null;
        for (int attempt = 0; attempt < Options.MaxAttempts; attempt++)
        {
            var options = new ChatOptions
            {
                Temperature = (float)Options.Temperature,
                TopP = (float)Options.TopP,
                MaxOutputTokens = Options.MaxTokens,
                Seed = Options.Seed + request.Index * Options.MaxAttempts + attempt,
                AdditionalProperties = new AdditionalPropertiesDictionary { ["repetition_penalty"] = Options.RepetitionPenalty },
            };
            try
            {
                last = await _teacher.AskAsync(prompt, Options.System, options, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return Judgement.Skip($"the judge's teacher failed: {e.Message}", attempt + 1, last);
            }
            if (JudgeScoreParser.Parse(last) is { } score) return new Judgement(score, last, attempt + 1);
        }
        return Judgement.Skip($"no score at the end of any of {Options.MaxAttempts} replies", Options.MaxAttempts, last);
    }
}
