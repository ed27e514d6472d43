using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Teachers;
using Microsoft.Extensions.AI;

namespace Engine.Methods.Synthesis.APT;

/// <summary>
/// Tags, as a record job: a record's own <c>tags</c> (CDT's, or a list) when it has them, else the teacher's answer to
/// <see cref="AptTags.TaggerPrompt"/> on the question (greedy, JSON with a bounded retry). The teacher is created only
/// when a record needs it. A record the teacher cannot tag gets no tags (it then takes no part in tag retrieval) and
/// <c>tag_skip</c> with the reason. Output per record: <c>index</c>, <c>id</c>, <c>tags</c>, <c>tags_source</c>
/// (record, teacher or none).
/// </summary>
public sealed class AptTagJob(Func<IChatClient>? teacher, string teacherIdentity) : IRecordJob<(IReadOnlyList<string> Own, string Question)>
{
    private readonly object _gate = new();
    private IChatClient? _teacher;

    public string Name => "apt-tag";
    public int OutputsPerRecord => 1;

    public void Describe(JobFingerprint f)
    {
        f.Add("tagger", teacher is null ? "none" : teacherIdentity);
        f.Add("tagger_prompt", ContentDigest.OfText(AptTags.TaggerPrompt));
    }

    public (IReadOnlyList<string> Own, string Question) Prepare(DataRecord record) => (AptTags.FromFields(record.Fields.Tags), AptEmbedJob.Question(record));

    public JobChunkResult Process(IReadOnlyList<JobItem<(IReadOnlyList<string> Own, string Question)>> chunk, JobProgress progress)
    {
        var gate = new object();
        var tasks = chunk.Select(async item =>
        {
            var r = item.Item.Own.Count > 0 ? (item.Item.Own, "record", (string?)null) : await AskAsync(item.Item.Question).ConfigureAwait(false);
            lock (gate) progress.Advance(1);
            return r;
        }).ToArray();
        var tagged = Task.WhenAll(tasks).GetAwaiter().GetResult();
        var lines = new JsonObject[chunk.Count];
        for (int i = 0; i < chunk.Count; i++)
        {
            var (tags, source, skip) = tagged[i];
            var o = new JsonObject
            {
                ["index"] = chunk[i].Index, ["id"] = chunk[i].Record.Id,
                ["tags"] = new JsonArray(tags.Select(t => (JsonNode)t).ToArray()), ["tags_source"] = source,
            };
            if (skip is not null) o["tag_skip"] = skip;
            lines[i] = o;
        }
        return new JobChunkResult(lines);
    }

    private async Task<(IReadOnlyList<string>, string, string?)> AskAsync(string question)
    {
        if (teacher is null) return ([], "none", "the record has no tags and no tagger was given");
        IChatClient client;
        lock (_gate) client = _teacher ??= teacher();
        try
        {
            var prompt = AptTags.TaggerPrompt.Replace("{question}", question, StringComparison.Ordinal);   // one pass: the question is not rescanned
            var node = await client.AskJsonAsync(prompt, options: new ChatOptions { Temperature = 0, MaxOutputTokens = 512 }, validate: AptTags.Problem).ConfigureAwait(false);
            AptTags.TryRead(node, out var tags, out _);
            return (tags, "teacher", null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return ([], "none", $"the tagger gave no usable tags: {e.Message}");
        }
    }
}
