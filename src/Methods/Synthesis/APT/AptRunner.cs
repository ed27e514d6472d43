using Engine.Runtime.Distributed;
using System.Globalization;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Core.Progress;
using Engine.Methods.Teachers.Judges;
using Microsoft.Extensions.AI;

namespace Engine.Methods.Synthesis.APT;

/// <summary>What a run did: one report per evaluated model (M_0 … M_last) and the folder of the last model.</summary>
public sealed record AptRunResult(IReadOnlyList<AptIterationReport> Iterations, string FinalModel);

/// <summary>
/// APT's loop (weakness-case acquisition and iterative preference training). Iteration t starts from model M_t:
/// <list type="number">
/// <item>mine: M_t answers every evaluation prompt, greedily (<c>iter-t/mined.jsonl</c>);</item>
/// <item>judge: the judge grades each answer against the record's gold response (<c>judged.jsonl</c>; the same for the optional general set);</item>
/// <item>select: bad cases are the records scored below the threshold (<c>bad.jsonl</c>);</item>
/// <item>tag: the record's own tags, else the teacher's (<c>bad-tags.jsonl</c>; the pool's once, <c>pool-tags.jsonl</c>);</item>
/// <item>embed: mean-pooled hidden states of the question (<c>bad-embeddings.jsonl</c>; the pool's once);</item>
/// <item>retrieve: similar pool cases by tag quota and cosine, or a baseline (<c>similar.jsonl</c>);</item>
/// <item>pairs: gold over the model's answer for bad cases, gold over another similar case's gold for similar cases (<c>pairs.jsonl</c>);</item>
/// <item>train: DPO + α·SFT with LoRA, merged into M_{t+1} (<c>train/</c>).</item>
/// </list>
/// After the last round M_last is evaluated too. Each iteration writes <c>report.json</c>; the run keeps
/// <c>report.json</c> and <c>report.md</c> over all of them. Every stage's output is a file with a fingerprint:
/// record-job stages resume where they stopped, whole-file stages are published by a rename, training resumes from
/// its last checkpoint; a finished stage is skipped, and a resume with other inputs or options is refused.
/// </summary>
public sealed class AptRunner
{
    public const string RunMarker = "apt-run.json";

    private readonly IJudge _judge;
    private readonly Lazy<IChatClient>? _tagger;
    private readonly string _taggerIdentity;
    private readonly IProgress _progress;

    /// <param name="judge">Grades mined answers (the CLI's --judge).</param>
    /// <param name="tagger">Creates the teacher that tags records without tags (called at most once, only when needed); null: untagged records take no part in tag retrieval.</param>
    /// <param name="taggerIdentity">Who tags (the --teacher spec), recorded in the tag stages' fingerprints.</param>
    public AptRunner(AptOptions options, IJudge judge, Func<IChatClient>? tagger = null, string taggerIdentity = "none", IProgress? progress = null)
    {
        options.Validate();
        Options = options;
        _judge = judge;
        _tagger = tagger is null ? null : new Lazy<IChatClient>(tagger);
        _taggerIdentity = taggerIdentity;
        _progress = progress ?? NullProgress.Instance;
    }

    public AptOptions Options { get; }
    /// <summary>Where the trainer's progress line goes (default stderr; <see cref="TextWriter.Null"/> for none).</summary>
    public TextWriter? TrainingProgress { get; init; }

    public static string IterationDir(string output, int t) => Path.Combine(output, $"iter-{t}");

    /// <remarks>
    /// Under a launcher (<see cref="Communicators.Current"/> set) the training rounds run data parallel. Rank 0 alone
    /// runs the other stages (mining, judging, tagging, embedding, retrieval, pairs) and writes the reports. The other
    /// ranks wait, then walk the same stages, which all find rank 0's finished files and skip, so every rank trains
    /// on the same pairs and stops at the same iteration.
    /// </remarks>
    public AptRunResult Run(string modelDir, string evalPath, string poolPath, string outputDir, string? generalPath = null, bool resume = false, bool overwrite = false)
    {
        var comm = Communicators.CurrentOrLocal(Options.Device);
        bool root = comm.Rank == 0;
        if (root)
        {
            PrepareOutput(outputDir, resume, overwrite);
            AptIterationReport.Write(Path.Combine(outputDir, RunMarker), new JsonObject
            {
                ["model"] = Path.GetFullPath(modelDir), ["eval"] = Path.GetFullPath(evalPath), ["pool"] = Path.GetFullPath(poolPath),
                ["general"] = generalPath is null ? null : Path.GetFullPath(generalPath), ["judge"] = _judge.Name, ["iterations"] = Options.Iterations,
            });
        }
        try
        {
            var reports = new List<AptIterationReport>();
            string model = modelDir;
            for (int t = 0; ; t++)
            {
                var dir = IterationDir(outputDir, t);
                if (root) Directory.CreateDirectory(dir);
                AptIterationReport report = null!;
                if (root) report = Prepare(t, model, evalPath, poolPath, generalPath, modelDir, outputDir, dir);
                comm.Barrier(); // rank 0's stage files are complete
                if (!root) report = Prepare(t, model, evalPath, poolPath, generalPath, modelDir, outputDir, dir);
                if (report.Stop is null)
                {
                    var train = new AptTraining(Options, t, TrainingProgress);
                    var (steps, loss) = train.Run(model, Path.Combine(dir, "pairs.jsonl"), TrainDir(dir), _progress, comm);
                    report = report with { TrainSteps = steps, TrainLoss = loss };
                }
                reports.Add(report);
                if (root)
                {
                    AptIterationReport.Write(Path.Combine(dir, "report.json"), report.ToJson());
                    AptIterationReport.Write(Path.Combine(outputDir, "report.json"), new JsonArray(reports.Select(r => (JsonNode)r.ToJson()).ToArray()));
                    File.WriteAllText(Path.Combine(outputDir, "report.md"), AptIterationReport.Markdown(reports));
                }
                if (report.Stop is not null) break;
                model = TrainDir(dir);
            }
            comm.Barrier(); // the reports are written before any rank returns
            return new AptRunResult(reports, model);
        }
        finally
        {
            if (_tagger is { IsValueCreated: true }) _tagger.Value.Dispose();
        }
    }

    private static string TrainDir(string iterDir) => Path.Combine(iterDir, "train");

    /// <summary>An existing run folder is continued only with resume and replaced only with overwrite (and only if it is an APT run).</summary>
    private static void PrepareOutput(string outputDir, bool resume, bool overwrite)
    {
        if (resume && overwrite) throw new ArgumentException("resume and overwrite exclude each other: continue the run, or start it again.");
        if (!Directory.Exists(outputDir) || !Directory.EnumerateFileSystemEntries(outputDir).Any()) { Directory.CreateDirectory(outputDir); return; }
        if (resume) return;
        if (!overwrite) throw new JobException($"{outputDir} already holds files. Pass --resume to continue the APT run there, or --overwrite to start it again.");
        if (!File.Exists(Path.Combine(outputDir, RunMarker)))
            throw new JobException($"{outputDir} is not an APT run folder (no {RunMarker}); --overwrite only replaces APT runs. Choose another --output.");
        Directory.Delete(outputDir, recursive: true);
        Directory.CreateDirectory(outputDir);
    }

    /// <summary>Every stage of iteration <paramref name="t"/> before training; the report says whether it stops here.</summary>
    private AptIterationReport Prepare(int t, string model, string evalPath, string poolPath, string? generalPath, string initialModel, string outputDir, string dir)
    {
        _progress.Note($"apt: iteration {t}: model {model}");
        var judged = MineAndJudge(model, evalPath, Path.Combine(dir, "mined.jsonl"), Path.Combine(dir, "judged.jsonl"));
        var domain = Summarise(judged, evalPath);
        AptJudgedSet? general = null;
        if (generalPath is not null)
            general = Summarise(MineAndJudge(model, generalPath, Path.Combine(dir, "general-mined.jsonl"), Path.Combine(dir, "general-judged.jsonl")), generalPath);
        var report = new AptIterationReport { Iteration = t, Model = Path.GetFullPath(model), Domain = domain, General = general };
        _progress.Note(string.Create(CultureInfo.InvariantCulture,
            $"apt: iteration {t}: {domain.Bad} bad cases of {domain.Scored} scored ({domain.Skipped} skipped), domain accuracy {domain.Accuracy:P1}{(general is null ? "" : $", general accuracy {general.Accuracy:P1}")}"));
        if (t == Options.Iterations) return report with { Stop = "last iteration: evaluation only" };
        if (domain.Bad == 0) return report with { Stop = "no bad cases: nothing to train on" };

        // Select.
        var badPath = Path.Combine(dir, "bad.jsonl");
        var selectFingerprint = new JobFingerprint("apt-select").Add("judged", ContentDigest.OfFile(judged)).Add("threshold", Options.Threshold);
        if (!AptStageFile.IsDone(badPath, selectFingerprint))
            AptStageFile.Write(badPath, selectFingerprint, JsonlReader.Read(judged).Select(l => l.Value)
                .Where(o => JudgeJob.ScoreOf(o) is { } s && s < Options.Threshold));
        var bad = RecordReader.Read(badPath, r => r, new RecordReadOptions()).Select(r => r.Record).ToList();
        int withoutGold = bad.Count(r => r.Completion.Count == 0);

        // Tag and embed the bad cases (and the pool, once), then retrieve similar cases.
        var embedModel = Options.EmbedModel ?? initialModel;
        bool byTags = Options.Retrieval == AptRetrievalMethod.Tag;
        var poolEmbeddings = Path.Combine(outputDir, "pool-embeddings.jsonl");
        var poolTags = Path.Combine(outputDir, "pool-tags.jsonl");
        var badEmbeddings = Path.Combine(dir, "bad-embeddings.jsonl");
        var badTags = Path.Combine(dir, "bad-tags.jsonl");
        RunJob(new AptEmbedJob(embedModel, Options), poolPath, poolEmbeddings, "embed pool");
        RunJob(new AptEmbedJob(embedModel, Options), badPath, badEmbeddings, "embed bad cases");
        if (byTags)
        {
            RunJob(new AptTagJob(_tagger is null ? null : () => _tagger.Value, _taggerIdentity), poolPath, poolTags, "tag pool");
            RunJob(new AptTagJob(_tagger is null ? null : () => _tagger.Value, _taggerIdentity), badPath, badTags, "tag bad cases");
        }
        var similarPath = Path.Combine(dir, "similar.jsonl");
        var (retrievalCases, retrieved) = Retrieve(bad, badPath, poolPath, badEmbeddings, poolEmbeddings, byTags ? badTags : null, byTags ? poolTags : null, similarPath);

        // Pairs.
        var pairsPath = Path.Combine(dir, "pairs.jsonl");
        var pairFingerprint = new JobFingerprint("apt-pairs").Add("bad", ContentDigest.OfFile(badPath)).Add("similar", ContentDigest.OfFile(similarPath))
            .Add("seed", (long)(Options.Seed + (ulong)t)).Add("objective", Options.Objective.ToString());
        var set = BuildPairs(bad, similarPath, Options.Seed + (ulong)t);
        if (!AptStageFile.IsDone(pairsPath, pairFingerprint))
            AptStageFile.Write(pairsPath, pairFingerprint, set.Pairs.Select(p => Options.Objective == AptObjective.Sft ? AptTrainingLines.Sft(p) : AptTrainingLines.Preference(p)));
        report = report with
        {
            BadWithoutGold = withoutGold, RetrievalCases = retrievalCases, Retrieved = retrieved, Pairs = set.Pairs.Count,
            SimilarPairs = set.Pairs.Count(p => p.Kind == "similar"), BadPairs = set.Pairs.Count(p => p.Kind == "bad"),
            DroppedBadPairs = set.DroppedBad, DroppedSimilarPairs = set.DroppedSimilar,
        };
        _progress.Note($"apt: iteration {t}: {retrieved} similar cases retrieved for {retrievalCases} bad cases; {set.Pairs.Count} pairs ({set.DroppedBad + set.DroppedSimilar} dropped: chosen = rejected)");
        return set.Pairs.Count == 0 ? report with { Stop = "no pairs to train on" } : report;
    }

    /// <summary>Mine and judge one evaluation file; the judged output's path.</summary>
    private string MineAndJudge(string model, string input, string mined, string judged)
    {
        RunJob(new AptMineJob(model, Options), input, mined, "mine");
        RunJob(new JudgeJob(_judge, AptMineJob.ResponseField), mined, judged, "judge");
        return judged;
    }

    private void RunJob<T>(IRecordJob<T> job, string input, string output, string what)
    {
        var s = RecordJobRunner.Run(job, new JobOptions
        {
            Input = input, Output = output, ChunkSize = Options.ChunkSize, Resume = true, SkipBadRecords = Options.SkipBadRecords,
        }, _progress);
        if (s.Processed > 0 || s.Skipped > 0)
            _progress.Note($"apt: {what}: {s.Records} records -> {output}{(s.Resumed > 0 ? $" ({s.Resumed} from before)" : "")}{(s.Skipped > 0 ? $", {s.Skipped} bad records skipped" : "")}");
    }

    /// <summary>Counts of a judged file; an evaluation set of which nothing could be scored is an error that says why.</summary>
    private AptJudgedSet Summarise(string judged, string source)
    {
        var counts = new int[5];
        int records = 0, skipped = 0, bad = 0;
        var reasons = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in JsonlReader.Read(judged))
        {
            records++;
            if (JudgeJob.ScoreOf(line.Value) is { } s)
            {
                counts[s - 1]++;
                if (s < Options.Threshold) bad++;
            }
            else
            {
                skipped++;
                var why = line.Value[JudgeJob.SkipField]?.GetValue<string>() ?? "no score";
                reasons[why] = reasons.GetValueOrDefault(why) + 1;
            }
        }
        var top = reasons.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(5).Select(kv => $"{kv.Value}× {kv.Key}").ToList();
        if (records > 0 && skipped == records)
            throw new InvalidDataException($"the {_judge.Name} judge scored none of the {records} records of {source}: {string.Join("; ", top)}.");
        if (skipped > 0) _progress.Note($"apt: {skipped} of {records} records of {source} not scored: {string.Join("; ", top)}");
        return new AptJudgedSet(records, records - skipped, skipped, bad, counts, top);
    }

    private (int Cases, int Retrieved) Retrieve(IReadOnlyList<DataRecord> bad, string badPath, string poolPath, string badEmbeddings, string poolEmbeddings,
        string? badTags, string? poolTags, string output)
    {
        var f = new JobFingerprint("apt-retrieve")
            .Add("bad", ContentDigest.OfFile(badPath)).Add("bad_embeddings", ContentDigest.OfFile(badEmbeddings))
            .Add("pool", ContentDigest.OfInput(poolPath)).Add("pool_embeddings", ContentDigest.OfFile(poolEmbeddings))
            .Add("bad_tags", badTags is null ? "none" : ContentDigest.OfFile(badTags)).Add("pool_tags", poolTags is null ? "none" : ContentDigest.OfFile(poolTags))
            .Add("method", Options.Retrieval.ToString()).Add("scale", Options.Scale).Add("clusters", Options.KMeansClusters)
            .Add("domains", Options.RetrievalDomains ?? ["all"]).Add("seed", (long)Options.Seed);
        var domains = Options.RetrievalDomains?.ToHashSet(StringComparer.Ordinal);
        var badItems = Items(badEmbeddings, badTags);
        var cases = Enumerable.Range(0, bad.Count).Where(i => domains is null || bad[i].Fields.Domain is { } d && domains.Contains(d)).Select(i => badItems[i]).ToList();
        if (AptStageFile.IsDone(output, f)) return (cases.Count, (int)(JobManifest.TryRead(output)!.Lines ?? 0));
        var poolItems = Items(poolEmbeddings, poolTags);
        var picked = Options.Retrieval switch
        {
            AptRetrievalMethod.Tag => AptRetrieval.ByTags(cases, poolItems, Options.Scale),
            AptRetrievalMethod.Mean => AptRetrieval.ByMean(cases, poolItems, Options.Scale),
            _ => AptRetrieval.ByClusters(cases, poolItems, Options.Scale, Options.KMeansClusters, Options.Seed),
        };
        var pool = RecordReader.Read(poolPath, r => r, new RecordReadOptions { SkipBadRecords = Options.SkipBadRecords }).Select(r => r.Record.Value).ToList();
        if (pool.Count != poolItems.Count) throw new InvalidDataException($"{poolPath} has {pool.Count} valid records but {poolEmbeddings} has {poolItems.Count}: the pool changed during the run.");
        AptStageFile.Write(output, f, picked.Select(p =>
        {
            var o = (JsonObject)pool[p.PoolIndex].DeepClone();
            o["apt_pool_index"] = p.PoolIndex;
            o["apt_via"] = p.Via;
            o["apt_cosine"] = p.Cosine;
            return o;
        }));
        return (cases.Count, picked.Count);
    }

    /// <summary>Retrieval items from an embedding file and (optionally) a tag file of the same records, in record order.</summary>
    private static List<RetrievalItem> Items(string embeddings, string? tags)
    {
        var vectors = JsonlReader.Read(embeddings).Select(l => (Id: RecordFields.IdOf(l.Value), Vector: AptEmbedJob.Decode(l.Value["embedding"]!.GetValue<string>()))).ToList();
        var tagLists = tags is null ? null : JsonlReader.Read(tags).Select(l => (IReadOnlyList<string>)l.Value["tags"]!.AsArray().Select(x => x!.GetValue<string>()).ToArray()).ToList();
        if (tagLists is not null && tagLists.Count != vectors.Count) throw new InvalidDataException($"{tags} has {tagLists.Count} lines but {embeddings} has {vectors.Count}.");
        return vectors.Select((v, i) => new RetrievalItem(v.Id, tagLists?[i] ?? [], v.Vector)).ToList();
    }

    private static AptPairSet BuildPairs(IReadOnlyList<DataRecord> bad, string similarPath, ulong seed)
    {
        var badCases = bad.Where(r => r.Completion.Count > 0)
            .Select(r => (Case: AptTrainingLines.CaseOf(r), Response: r.Value[AptMineJob.ResponseField]!.GetValue<string>())).ToList();
        var similar = RecordReader.Read(similarPath, r => r, new RecordReadOptions()).Select(r => r.Record)
            .Where(r => r.Completion.Count > 0).Select(AptTrainingLines.CaseOf).ToList();
        return AptPairs.Build(badCases, similar, seed);
    }
}
