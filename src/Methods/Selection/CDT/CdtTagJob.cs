using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;
using Microsoft.Extensions.AI;

namespace Engine.Methods.Selection.CDT;

/// <summary>
/// Tagging as a record job (shards, resume, fingerprint, merge from <see cref="RecordJobRunner"/>). Each output line is
/// the input record with its <c>tags</c> set to <c>{cognition, domain, task}</c> — so the output is itself a tagged data
/// set for <c>cdt metrics</c>, <c>cdt select</c> or training — plus a <c>cdt</c> object when something went wrong
/// (<see cref="CdtTagResult.Report"/>). A chunk's calls run concurrently (up to <see cref="CdtTagOptions.Concurrency"/>).
/// A record's tags depend only on its text and the options for a deterministic teacher (greedy, and a per-sample option
/// order); a local teacher batches calls continuously, so in rare near-ties a reply can depend on its batch
/// neighbours — use <c>--teacher-cache</c> to make reruns and resumes exact.
/// </summary>
public sealed class CdtTagJob(IChatClient teacher, CdtTagOptions options) : IRecordJob<string>
{
    private readonly CdtTagger _tagger = new(teacher, options);

    public string Name => "cdt-tag";
    public int OutputsPerRecord => 1;

    public void Describe(JobFingerprint f)
    {
        f.Add("teacher", options.TeacherIdentity);
        f.Add("labels", options.Labels.Digest);
        f.Add("prompts", options.Prompts.Digest);
        f.Add("prompt_style", options.Style.ToString().ToLowerInvariant());
        f.Add("attempts", options.Attempts);
        f.Add("max_new_tokens", options.MaxNewTokens);
        f.Add("option_seed", (long)options.OptionSeed);
    }

    public string Prepare(DataRecord record) => CdtInstruction.Of(record);

    public JobChunkResult Process(IReadOnlyList<JobItem<string>> chunk, JobProgress progress)
    {
        // Off any caller's synchronization context: the job contract is synchronous, the teacher is not.
        var results = Task.Run(() => TagAll(chunk, progress)).GetAwaiter().GetResult();
        var lines = new List<JsonObject>(chunk.Count);
        for (int i = 0; i < chunk.Count; i++)
        {
            var line = (JsonObject)chunk[i].Record.Value.DeepClone();
            line["tags"] = results[i].Tags.ToJson();
            line.Remove("cdt");
            if (results[i].Report() is { } report) line["cdt"] = report;
            lines.Add(line);
        }
        return new JobChunkResult(lines);
    }

    private Task<CdtTagResult[]> TagAll(IReadOnlyList<JobItem<string>> chunk, JobProgress progress) =>
        _tagger.TagManyAsync(chunk.Select(x => x.Item).ToArray(), _ => progress.Advance(1));
}
