using System.Runtime.CompilerServices;
using Engine.Methods.Teachers.Judges;
using Microsoft.Extensions.AI;

namespace Engine.Tests.Judges;

/// <summary>The rubric judge: what it sends (prompt, reference, rubric, system, sampling, seeds), retries, and skips instead of failures.</summary>
public class RubricJudgeTests
{
    /// <summary>Answers from a script (the last answer repeats), recording every request; throws when told to.</summary>
    internal sealed class ScriptedTeacher(params string[] answers) : IChatClient
    {
        public List<(List<ChatMessage> Messages, ChatOptions? Options)> Asked { get; } = [];
        public Exception? Throw { get; init; }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken ct = default)
        {
            lock (Asked)
            {
                Asked.Add((messages.ToList(), options));
                if (Throw is not null) throw Throw;
                return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answers[Math.Min(Asked.Count, answers.Length) - 1])));
            }
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken ct = default)
        {
            var r = await GetResponseAsync(messages, options, ct);
            yield return new ChatResponseUpdate(ChatRole.Assistant, r.Text);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;
        public void Dispose() { }
    }

    [Fact]
    public async Task ThePromptCarriesInstructionResponseReferenceAndRubric()
    {
        var teacher = new ScriptedTeacher("The sum is right. [RESULT] 5");
        var judge = new RubricJudge(teacher, new RubricJudgeOptions { Rubric = "Score 1: wrong. Score 5: right.", Seed = 100, MaxAttempts = 4 });
        var j = await judge.JudgeAsync(new JudgeRequest("Calculate.\n12 + 46", "Answer: 58 {rubric}", "Answer: 58") { Index = 3 });
        Assert.Equal(5, j.Score);
        Assert.Equal(1, j.Attempts);
        Assert.Null(j.SkipReason);
        var (messages, options) = Assert.Single(teacher.Asked);
        Assert.Equal(ChatRole.System, messages[0].Role);
        Assert.Equal(JudgePrompts.AbsoluteGradingSystem, messages[0].Text);
        var user = messages[1].Text;
        Assert.Contains("Calculate.\n12 + 46", user);
        Assert.Contains("Score 1: wrong. Score 5: right.", user);
        // The reference answer reaches the prompt (a grader that silently drops it grades without the gold).
        Assert.Contains("###Reference answer (score 5)\nAnswer: 58", user);
        // Text inside the response that looks like a placeholder is not substituted again.
        Assert.Contains("Answer: 58 {rubric}", user);
        Assert.EndsWith("###Feedback: ", user);
        Assert.Equal(1.0f, options!.Temperature);
        Assert.Equal(0.9f, options.TopP);
        Assert.Equal(1024, options.MaxOutputTokens);
        Assert.Equal(1.03, options.AdditionalProperties!["repetition_penalty"]);
        Assert.Equal(100 + 3 * 4, options.Seed);   // seed + index · attempts + attempt
    }

    [Fact]
    public async Task AReplyWithoutAScoreIsAskedAgainWithTheNextSeed()
    {
        var teacher = new ScriptedTeacher("The response looks fine to me.", "Wrong total. [RESULT] 2");
        var j = await new RubricJudge(teacher, new RubricJudgeOptions { MaxAttempts = 3 }).JudgeAsync(new JudgeRequest("q", "a", "b") { Index = 0 });
        Assert.Equal(2, j.Score);
        Assert.Equal(2, j.Attempts);
        Assert.Equal([0L, 1L], teacher.Asked.Select(a => a.Options!.Seed!.Value));
        Assert.Equal("Wrong total. [RESULT] 2", j.Feedback);
    }

    [Fact]
    public async Task AJudgeThatNeverScoresIsASkipNotAFailure()
    {
        var teacher = new ScriptedTeacher("I cannot grade this.", "(feedback) [RESULT] (an integer from 1 to 5)");
        var j = await new RubricJudge(teacher, new RubricJudgeOptions { MaxAttempts = 3 }).JudgeAsync(new JudgeRequest("q", "a"));
        Assert.Null(j.Score);
        Assert.Equal(3, j.Attempts);
        Assert.Equal(3, teacher.Asked.Count);
        Assert.Contains("no score at the end of any of 3 replies", j.SkipReason);
        // Without a reference the prompt says so instead of leaving the slot empty.
        Assert.Contains("no reference answer", teacher.Asked[0].Messages[1].Text);

        var failing = new ScriptedTeacher("x") { Throw = new HttpRequestException("connection refused") };
        var f = await new RubricJudge(failing).JudgeAsync(new JudgeRequest("q", "a"));
        Assert.Null(f.Score);
        Assert.Contains("connection refused", f.SkipReason);
    }

    [Fact]
    public void TemplatesWithoutTheRequiredPlaceholdersAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new RubricJudge(new ScriptedTeacher("x"), new RubricJudgeOptions { Template = "Grade {instruction} by {rubric}." }));
        Assert.Contains("{response}", e.Message);
        Assert.Throws<ArgumentException>(() => new RubricJudge(new ScriptedTeacher("x"), new RubricJudgeOptions { MaxAttempts = 0 }));
    }

    [Fact]
    public void ShippedPromptsHaveTheAbsoluteGradingStructure()
    {
        foreach (var p in JudgePrompts.Placeholders) Assert.Contains("{" + p + "}", JudgePrompts.AbsoluteGrading);
        Assert.Contains("[RESULT]", JudgePrompts.AbsoluteGrading);
        for (int s = 1; s <= 5; s++) Assert.Contains($"Score {s}:", JudgePrompts.CorrectnessRubric);
    }
}
