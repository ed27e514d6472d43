using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;

namespace Engine.Methods.Teachers.Judges;

/// <summary>
/// Grades records as a record job (shard, resume, progress): each input record carries a response to grade in
/// <see cref="ResponseField"/>; its prompt turns are the instruction and its own completion, if it has one, is the
/// reference. Output per record: the input record plus <c>judge_score</c> (1–5, or null), <c>judge_attempts</c>,
/// <c>judge_feedback</c>, and <c>judge_skip</c> with the reason when there is no score. A chunk's records are graded
/// concurrently (a local teacher batches them; a remote one is bounded by its concurrency limit).
/// </summary>
public sealed class JudgeJob(IJudge judge, string responseField) : IRecordJob<JudgeRequest>
{
    public const string ScoreField = "judge_score";
    public const string AttemptsField = "judge_attempts";
    public const string FeedbackField = "judge_feedback";
    public const string SkipField = "judge_skip";

    public string ResponseField { get; } = responseField;
    public string Name => "judge";
    public int OutputsPerRecord => 1;

    public void Describe(JobFingerprint f)
    {
        judge.Describe(f);
        f.Add("response_field", ResponseField);
    }

    public JudgeRequest Prepare(DataRecord record)
    {
        var response = record.Value[ResponseField] is JsonValue v && v.TryGetValue<string>(out var s) ? s
            : throw record.Error($"no string \"{ResponseField}\" to grade", ResponseField);
        return Request(record, response);
    }

    /// <summary>The request for a record and a response: the prompt turns as the instruction, the record's completion as the reference.</summary>
    public static JudgeRequest Request(DataRecord record, string response)
    {
        var prompt = record.Format is DatasetFormat.Text or DatasetFormat.Tokens
            ? throw record.Error($"{record.Format} records have no instruction to grade a response against")
            : record.Prompt;
        if (prompt.Count == 0) throw record.Error("the record has no prompt turns");
        var instruction = prompt.Count == 1 ? prompt[0].Content : string.Join("\n\n", prompt.Select(m => $"{m.Role}: {m.Content}"));
        var completion = record.Completion;
        var reference = completion.Count == 0 ? null : string.Join("\n\n", completion.Select(m => m.Content));
        return new JudgeRequest(instruction, response, reference, record);
    }

    public JobChunkResult Process(IReadOnlyList<JobItem<JudgeRequest>> chunk, JobProgress progress)
    {
        var gate = new object();   // answers finish on pool threads; the progress counter is not thread-safe
        var tasks = chunk.Select(async item =>
        {
            var j = await judge.JudgeAsync(item.Item with { Index = item.Index }).ConfigureAwait(false);
            lock (gate) progress.Advance(1);
            return j;
        }).ToArray();
        var judgements = Task.WhenAll(tasks).GetAwaiter().GetResult();
        var lines = new JsonObject[chunk.Count];
        for (int i = 0; i < chunk.Count; i++) lines[i] = Annotate((JsonObject)chunk[i].Record.Value.DeepClone(), judgements[i]);
        return new JobChunkResult(lines);
    }

    /// <summary>The record with the judgement's fields added.</summary>
    public static JsonObject Annotate(JsonObject o, Judgement j)
    {
        o[ScoreField] = j.Score;
        o[AttemptsField] = j.Attempts;
        o[FeedbackField] = j.Feedback;
        if (j.SkipReason is { } why) o[SkipField] = why;
        else o.Remove(SkipField);
        return o;
    }

    /// <summary>A graded line's score (null when skipped).</summary>
    public static int? ScoreOf(JsonObject line) => line[ScoreField] is JsonValue v && v.TryGetValue<int>(out var s) ? s : null;
}
