using System.Text.Json.Nodes;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Teachers.Judges;

namespace Engine.Methods.Evaluation.Testbed;

/// <summary>
/// The testbed's exact checker as an <see cref="IJudge"/>, for verifiable data: the record's <c>task</c> names the
/// family, the gold answer is its <c>answer</c> field or, when hidden fields were stripped, the <c>Answer:</c> line of
/// its reference response. The verdict maps to the 1–5 scale so a threshold of 3 separates right from wrong:
/// <list type="bullet">
/// <item>5: the answer is right and every equation in the reasoning holds;</item>
/// <item>3: the answer is right but an equation in the reasoning is false (a broken step, <see cref="ReasoningVerifier.ArithmeticErrors"/>);</item>
/// <item>2: there is an answer line and the answer is wrong;</item>
/// <item>1: there is no answer line.</item>
/// </list>
/// A record without a task, with an unknown task, or without a gold answer is a counted skip with the reason.
/// </summary>
public sealed class CheckerJudge : IJudge
{
    public const int Correct = 5, CorrectWithBrokenStep = 3, WrongAnswer = 2, NoAnswer = 1;

    public string Name => "checker";

    public void Describe(JobFingerprint f)
    {
        f.Add("judge", "checker");
        f.Add("judge_scale", "5 right, 3 right with a false equation, 2 wrong, 1 no answer line");
    }

    public Task<Judgement> JudgeAsync(JudgeRequest request, CancellationToken ct = default) => Task.FromResult(Judge(request));

    public static Judgement Judge(JudgeRequest request)
    {
        var record = request.Record;
        var task = record?.Fields.Task;
        if (task is null) return Judgement.Skip("no \"task\" field: the checker judge needs the record's testbed family");
        if (!TaskRegistry.All.Any(f => f.Name == task)) return Judgement.Skip($"unknown testbed task '{task}'");
        var expected = record!.Value["answer"] is JsonValue v && v.TryGetValue<string>(out var a) && a.Length > 0 ? a
            : request.Reference is { } gold ? AnswerText.Extract(gold) : null;
        if (string.IsNullOrEmpty(expected))
            return Judgement.Skip("no gold answer: the record has no \"answer\" field and no reference response with an \"Answer:\" line");
        var check = TestbedChecker.Check(task, expected, request.Response);
        int score = Score(check, request.Response);
        return new Judgement(score, $"{check.Reason} (expected '{check.Expected}', got '{check.Extracted ?? "nothing"}')", 1);
    }

    /// <summary>The 1–5 score of a checked response.</summary>
    public static int Score(CheckResult check, string response)
    {
        if (check.Extracted is null) return NoAnswer;
        if (!check.Correct) return WrongAnswer;
        return BrokenStep(response) ? CorrectWithBrokenStep : Correct;
    }

    private static bool BrokenStep(string response)
    {
        try { return ReasoningVerifier.ArithmeticErrors(response).Count > 0; }
        catch (OverflowException) { return true; }   // a number too long for 64 bits is not a step that holds
    }
}
