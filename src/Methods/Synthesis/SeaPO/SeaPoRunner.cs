using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Core.Progress;

namespace Engine.Methods.Synthesis.SeaPO;

/// <summary>
/// SeaPO data generation: inject errors into correct responses with <see cref="SeaPoInjectJob"/> (sharded, resumable,
/// fingerprinted: <c>&lt;output&gt;.injections.jsonl</c>), then write the KTO file (<c>&lt;output&gt;</c>) and the
/// rejection report (<c>&lt;output&gt;.rejections.json</c>) from the injection lines. The KTO file is rebuilt from the
/// injection lines every time, so a resumed run, a merge of shards and a change of mode never mix outputs.
/// </summary>
public sealed class SeaPoRunner(IErrorInjector injector, SeaPoOptions options, IProgress? progress = null)
{
    public static string InjectionsPath(string ktoOutput) => ktoOutput + ".injections.jsonl";
    public static string ReportPath(string ktoOutput) => ktoOutput + ".rejections.json";

    /// <summary>Run (or resume) the injection job for <paramref name="job"/>'s shard. <c>job.Output</c> is the KTO path; the job writes <see cref="InjectionsPath"/>.</summary>
    public JobSummary Inject(JobOptions job)
    {
        options.Validate();
        return RecordJobRunner.Run(new SeaPoInjectJob(injector, options), job with { Output = InjectionsPath(job.Output) }, progress);
    }

    /// <summary>
    /// Inject and write the KTO file and the report; a shard run only injects (returns null). A whole run whose
    /// injections exist only as shards merges them (every shard finished, same fingerprint) instead of injecting again.
    /// </summary>
    public SeaPoReport? Run(JobOptions job)
    {
        var injections = InjectionsPath(job.Output);
        if (!job.Shard.IsWhole || File.Exists(injections) || !JobMerge.HasShards(injections)) Inject(job);
        if (!job.Shard.IsWhole) return null;
        return WriteKto(InjectionsPath(job.Output), job.Output, options.Mode, options.Types, options.Seed);
    }

    /// <summary>
    /// Builds the KTO file from a finished injection output (shards are merged first, refused if one is missing or
    /// unfinished) for the given mode and types, and writes the rejection report beside it.
    /// </summary>
    public static SeaPoReport WriteKto(string injections, string ktoOutput, SeaPoMode mode, IReadOnlyList<SeaPoErrorType> types, ulong seed)
    {
        if (mode == SeaPoMode.Targeted && types.Count != 1) throw new ArgumentException("SeaPO: targeted mode takes one error type.");
        JobMerge.RequireComplete(injections);
        var report = new SeaPoReport();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(ktoOutput))!);
        // Desirable rows first, then undesirable ones (same record order): a trainer that pairs example i with i−1 for
        // KTO's KL estimate (TRL's shift, `engine kto`) then pairs different prompts, never a record's two rows.
        var tmp = ktoOutput + ".tmp";
        var tmpNeg = ktoOutput + ".neg.tmp";
        using (var w = new StreamWriter(tmp, false, new System.Text.UTF8Encoding(false)) { NewLine = "\n" })
        using (var wn = new StreamWriter(tmpNeg, false, new System.Text.UTF8Encoding(false)) { NewLine = "\n" })
        {
            foreach (var row in JsonlReader.Read(injections))
            {
                var line = row.Value;
                var pick = SeaPoKto.Choose(line, mode, types, seed);
                // The report counts only the types this KTO file is made of.
                var view = (JsonObject)line.DeepClone();
                var kept = new JsonArray(view["injections"]!.AsArray().Where(i => types.Contains(SeaPoErrorTypes.Parse((string)i!["type"]!))).Select(i => i!.DeepClone()).ToArray());
                view["injections"] = kept;
                report.Add(view, pick?.Type);
                if (pick is not { } p) continue;
                var rows = SeaPoKto.Rows(line, p.Type, p.Negative);
                w.WriteLine(rows[0].ToJsonString());
                wn.WriteLine(rows[1].ToJsonString());
            }
        }
        using (var w = new FileStream(tmp, FileMode.Append)) using (var r = File.OpenRead(tmpNeg)) r.CopyTo(w);
        File.Delete(tmpNeg);
        File.Move(tmp, ktoOutput, overwrite: true);
        File.WriteAllText(ReportPath(ktoOutput), report.ToJson().ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        return report;
    }
}
