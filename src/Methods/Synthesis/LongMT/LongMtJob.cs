using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;

namespace Engine.Methods.Synthesis.LongMT;

/// <summary>
/// LongMT as a record job: one input record is a document, one output line its translation (with, when sampling, its
/// preference pairs). Pages are the unit of durability: each finished page goes to the page log at once
/// (<see cref="PageLog"/>, <c>&lt;output&gt;.pages.jsonl</c>), and a resumed run continues an unfinished document at its
/// first missing page, so a kill mid-document neither loses nor repeats a page. Sharding, resume refusal on changed
/// options, merge and bad-record handling come from <see cref="RecordJobRunner"/>.
/// </summary>
public sealed class LongMtJob(LongMtAgent agent, string modelIdentity, string pageLogPath, bool resume) : IRecordJob<LongMtDocument>, IDisposable
{
    private PageLog? _log;

    public string Name => agent.Search is null ? "longmt-translate" : "longmt-sample";
    public int OutputsPerRecord => 1;

    /// <summary>The page log beside a job output (per shard: beside the shard's output).</summary>
    public static string PageLogFor(string output) => output + ".pages.jsonl";

    public void Describe(JobFingerprint f)
    {
        f.Add("model", modelIdentity);
        agent.Describe(f);
    }

    public LongMtDocument Prepare(DataRecord record) => LongMtDocument.FromRecord(record, requireReference: agent.Search is not null);

    public JobChunkResult Process(IReadOnlyList<JobItem<LongMtDocument>> chunk, JobProgress progress)
    {
        // Opened at the first chunk, after the runner has accepted (or refused) the existing output.
        _log ??= new PageLog(pageLogPath, resume, ContentDigest.OfText(Fingerprint().ToJson().ToJsonString()));
        var log = _log;
        var gate = new object();
        var tasks = chunk.Select(item => agent.TranslateAsync(item.Item, item.Index, log.Done(item.Index, item.Item.Id), log.Append,
            p => { lock (gate) progress.Advance(p); })).ToArray();
        var results = Task.WhenAll(tasks).GetAwaiter().GetResult();
        return new JobChunkResult(results.Select(r => r.ToJson()).ToList());
    }

    private JobFingerprint Fingerprint()
    {
        var f = new JobFingerprint(Name);
        Describe(f);
        return f;
    }

    public void Dispose() => _log?.Dispose();

    /// <summary>Run the job (chunks of <see cref="LongMtOptions.ParallelDocuments"/> documents translated at once).</summary>
    public static JobSummary Run(LongMtAgent agent, string modelIdentity, JobOptions o, Core.Progress.IProgress? progress = null)
    {
        var output = o.Shard.PathOf(o.Output);
        if (o.Overwrite && !o.Resume && File.Exists(PageLogFor(output))) File.Delete(PageLogFor(output));
        using var job = new LongMtJob(agent, modelIdentity, PageLogFor(output), o.Resume);
        return RecordJobRunner.Run(job, o with { ChunkSize = agent.Options.ParallelDocuments }, progress);
    }
}

/// <summary>Preference pairs out of <c>longmt sample</c>'s document lines, in the standard conversational form <c>engine dpo</c> reads.</summary>
public static class LongMtPairs
{
    /// <summary>Write every pair of the documents in <paramref name="sampleOutput"/> (optionally only one kind: "module" or "translation") to <paramref name="path"/>; returns the count.</summary>
    public static int Export(string sampleOutput, string path, string? kind = null)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        using var w = new StreamWriter(path, false, new System.Text.UTF8Encoding(false)) { NewLine = "\n" };
        int n = 0;
        foreach (var line in File.ReadLines(sampleOutput))
        {
            if (line.Length == 0 || JsonNode.Parse(line) is not JsonObject doc || doc["pairs"] is not JsonArray pairs) continue;
            var id = doc["id"]?.GetValue<string>() ?? "doc";
            int k = 0;
            foreach (var p in pairs.OfType<JsonObject>())
            {
                if (kind is not null && p["kind"]?.GetValue<string>() != kind) continue;
                var o = (JsonObject)p.DeepClone();
                o.Insert(0, "id", $"{id}-{k++}");
                w.WriteLine(o.ToJsonString());
                n++;
            }
        }
        return n;
    }
}
