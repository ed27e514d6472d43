using System.Globalization;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Core.Progress;

namespace Engine.Methods.Selection.SelectIT;

/// <summary>
/// Runs SelectIT in two phases on the shared record-job contract. Phase 1 (<see cref="Score"/>), per model (one in
/// memory at a time): a <see cref="SelectItModelJob"/> writes <c>model-&lt;m&gt;.jsonl</c> in the work folder (or this
/// run's shard of it) — resumable, shardable, fingerprinted. Phase 2 (<see cref="Merge"/>): merges and checks every
/// model's shards, computes sentence scores with this run's α from the stored token scores, mixes models with θ, and
/// writes all scores and the selection.
/// </summary>
public sealed class SelectItRunner(SelectItOptions options, IProgress? progress = null)
{
    /// <summary>How the scores were computed (device, batch shape) is checked among the shards, not against the merging command's options.</summary>
    private static readonly string[] MergeIgnores = ["device", "batch_size"];

    public SelectItOptions Options { get; } = options;
    private IProgress Progress => progress ?? NullProgress.Instance;

    /// <summary>Model m's scores in a work folder (a shard writes <c>model-m.shard-i-of-n.jsonl</c> beside it).</summary>
    public static string ModelOutput(string workDir, int model) => Path.Combine(workDir, $"model-{model}.jsonl");

    /// <summary>Phase 1 for this run's shard, every model in turn.</summary>
    public IReadOnlyList<JobSummary> Score(string inputPath, string workDir, bool resume = false, bool overwrite = false)
    {
        Options.Validate();
        Directory.CreateDirectory(workDir);
        var summaries = new List<JobSummary>();
        for (int m = 0; m < Options.Models.Count; m++)
        {
            Progress.Note($"selectit: model {m + 1}/{Options.Models.Count}: {Options.Models[m]}");
            summaries.Add(RecordJobRunner.Run(new SelectItModelJob(Options, Options.Models[m]), new JobOptions
            {
                Input = inputPath, Output = ModelOutput(workDir, m), Shard = Options.Shard, ChunkSize = 256,
                Resume = resume, Overwrite = overwrite, SkipBadRecords = Options.SkipBadRecords,
                Sources = new Dictionary<string, string> { ["model"] = Path.GetFullPath(Options.Models[m]) },
            }, Progress));
        }
        return summaries;
    }

    public sealed record MergeResult(int Records, int Selected, double[] Scores);

    /// <summary>Phase 2: combine all shards of all models, write the scores file and the selected records.</summary>
    public MergeResult Merge(string inputPath, string workDir, string selectedPath, string scoresPath)
    {
        Options.Validate();
        int models = Options.Models.Count;
        var manifests = new JobManifest[models];
        for (int m = 0; m < models; m++)
        {
            var expected = RecordJobRunner.FingerprintOf(new SelectItModelJob(Options, Options.Models[m]), inputPath);
            manifests[m] = JobMerge.RequireComplete(ModelOutput(workDir, m), expected, MergeIgnores);
        }
        // The records the scoring jobs indexed: same input, same view, bad ones skipped (they were reported while scoring).
        var records = RecordReader.Read(inputPath, InstructionPair.From, new RecordReadOptions { SkipBadRecords = true }).Select(r => r.Record).ToList();
        int n = records.Count;
        var sSent = new double[models, n];
        var tokens = new JsonNode?[models, n];
        var theta = new double[models];
        for (int m = 0; m < models; m++)
        {
            if (manifests[m].Records != n)
                throw new InvalidDataException($"{ModelOutput(workDir, m)} scored {manifests[m].Records} records but {inputPath} has {n} valid ones now.");
            int i = 0;
            foreach (var line in JsonlReader.Read(ModelOutput(workDir, m)))
            {
                if (line.Value["index"]!.GetValue<long>() != i) throw new InvalidDataException($"{ModelOutput(workDir, m)}:{line.Line}: record {line.Value["index"]} where {i} was expected.");
                var sToken = line.Value["s_token"]!.AsArray();
                // Sentence level with this run's α, from the stored token scores.
                sSent[m, i] = SelectItScores.Sentence(sToken.Select(v => v!.GetValue<double>()).ToArray(), Options.Alpha);
                tokens[m, i] = sToken.DeepClone();
                theta[m] = line.Value["parameters"]!.GetValue<double>();
                i++;
            }
        }
        var weights = Options.ModelWeights?.ToArray() ?? theta;
        var scores = new double[n];
        var dir = Path.GetDirectoryName(Path.GetFullPath(scoresPath));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        using (var sw = new StreamWriter(scoresPath) { NewLine = "\n" })
            for (int i = 0; i < n; i++)
            {
                var sents = Enumerable.Range(0, models).Select(m => sSent[m, i]).ToArray();
                scores[i] = SelectItScores.Model(sents, weights);
                var line = new JsonObject
                {
                    ["index"] = i,
                    ["s_model"] = scores[i],
                    ["s_sent"] = new JsonArray(sents.Select(v => (JsonNode)v).ToArray()),
                    ["s_token"] = new JsonArray(Enumerable.Range(0, models).Select(m => tokens[m, i]).ToArray()),
                };
                // The record's own id (when it has one) and "score", so `engine testbed score` reads this file as it is.
                if (records[i].Value["id"] is { } id) { line["id"] = id.DeepClone(); line["score"] = scores[i]; }
                sw.WriteLine(line.ToJsonString());
            }
        int count = Options.TopN ?? SelectItScores.CountForRatio(n, Options.Ratio);
        var chosen = SelectItScores.Select(scores, count);
        var tmp = selectedPath + ".tmp";
        using (var w = new StreamWriter(tmp) { NewLine = "\n" })
            foreach (var i in chosen) w.WriteLine(records[i].Value.ToJsonString());
        File.Move(tmp, selectedPath, overwrite: true);
        ScoreHistogram.Write(scores, chosen.Length > 0 ? scores[chosen[^1]] : null, Path.ChangeExtension(scoresPath, ".png"));
        Progress.Note(string.Create(CultureInfo.InvariantCulture,
            $"selectit: selected {chosen.Length} of {n} records (α {Options.Alpha:G4}, weights {string.Join(", ", weights.Select(w => w.ToString("G4", CultureInfo.InvariantCulture)))})"));
        return new MergeResult(n, chosen.Length, scores);
    }
}
