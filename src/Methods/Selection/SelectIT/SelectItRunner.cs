using System.Globalization;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Models;
using Engine.Models.Scoring;

namespace Engine.Methods.Selection.SelectIT;

/// <summary>
/// Runs SelectIT in two phases. Phase 1, per model (one in memory at a time): rating-token probabilities for
/// every record × prompt, token- and sentence-level scores, appended to a per-model (per-shard) JSONL in the
/// work folder — resumable, and shardable with (index mod n). Phase 2 (<see cref="Merge"/>): checks that every
/// record was scored exactly once by every model, mixes models, writes all scores and the selection.
/// </summary>
public sealed class SelectItRunner(SelectItOptions options, Action<string>? log = null)
{
    public SelectItOptions Options { get; } = options;

    public static string ShardFile(string workDir, int model, int shard, int shards) =>
        Path.Combine(workDir, $"model-{model}.shard-{shard}-of-{shards}.jsonl");

    /// <summary>Phase 1 for this run's shard. <paramref name="progress"/> gets records done per batch.</summary>
    public void Score(string inputPath, string workDir, bool resume, Action<long, long>? progress = null)
    {
        Options.Validate();
        Directory.CreateDirectory(workDir);
        var all = JsonlReader.Read(inputPath, Options.SkipBadRecords, e => log?.Invoke("skipped: " + e.Message))
            .Select((r, i) => (index: i, rec: r))
            .Where(x => x.index % Options.ShardCount == Options.ShardIndex)
            .Select(x => (x.index, pair: InstructionPair.From(x.rec, inputPath)))
            .ToList();
        for (int m = 0; m < Options.Models.Count; m++)
        {
            var path = ShardFile(workDir, m, Options.ShardIndex, Options.ShardCount);
            using var writer = new ResumableJsonlWriter(path, resume);
            if (writer.ExistingRecords >= all.Count) { log?.Invoke($"model {m}: already scored ({path})"); continue; }
            log?.Invoke($"model {m}: loading {Options.Models[m]}");
            var bundle = ModelBundle.Load(Options.Models[m], Options.Device);
            var ratingIds = RatingTokens.Resolve(bundle.Tokenizer, Options.ScaleMax);
            var scorer = new Scorer(bundle.Model, Options.BatchSize);
            int maxTokens = Options.MaxTokens ?? bundle.Model.Config.MaxPositionEmbeddings;
            var prompts = Options.Prompts.Take(Options.NumPrompts).ToArray();
            foreach (var chunk in all.Skip((int)writer.ExistingRecords).Chunk(Math.Max(1, Options.BatchSize)))
            {
                var inputs = chunk.SelectMany(x => prompts.Select(p => Encode(bundle, p, x.pair, maxTokens))).ToArray();
                var probs = scorer.CandidateProbabilities(inputs, ratingIds);
                for (int r = 0; r < chunk.Length; r++)
                {
                    var perPrompt = probs.Skip(r * prompts.Length).Take(prompts.Length).ToArray();
                    var tokenScores = perPrompt.Select(p => SelectItScores.Token(p, Options.Normalization)).ToArray();
                    var sSent = SelectItScores.Sentence(tokenScores.Select(t => t.sToken).ToArray(), Options.Alpha);
                    writer.Write(new JsonObject
                    {
                        ["index"] = chunk[r].index,
                        ["parameters"] = bundle.Model.ParameterCount,
                        ["rating_probs"] = new JsonArray(perPrompt.Select(p => (JsonNode)new JsonArray(p.Select(v => (JsonNode)v).ToArray())).ToArray()),
                        ["s_base"] = new JsonArray(tokenScores.Select(t => (JsonNode)t.sBase).ToArray()),
                        ["s_token"] = new JsonArray(tokenScores.Select(t => (JsonNode)t.sToken).ToArray()),
                        ["s_sent"] = sSent,
                    });
                }
                progress?.Invoke(chunk.Length, inputs.Sum(i => (long)i.Length));
            }
        }
    }

    /// <summary>Encode one rating input; if too long, drop the middle of the response until it fits.</summary>
    private static int[] Encode(ModelBundle bundle, string prompt, InstructionPair pair, int maxTokens)
    {
        var response = pair.Response;
        while (true)
        {
            var ids = bundle.Tokenizer.Encode(RatingPrompts.Build(prompt, pair.Instruction, response), addSpecialTokens: true);
            if (ids.Length <= maxTokens || response.Length < 16) return ids.Length <= maxTokens ? ids : ids[^maxTokens..];
            int cut = Math.Max(8, (int)((double)(ids.Length - maxTokens) / ids.Length * response.Length * 1.2));
            int mid = response.Length / 2;
            int from = Math.Max(4, mid - cut / 2), to = Math.Min(response.Length - 4, mid + cut / 2);
            response = response[..from] + " … " + response[to..];
        }
    }

    public sealed record MergeResult(int Records, int Selected, double[] Scores);

    /// <summary>Phase 2: combine all shards of all models, write the scores file and the selected records.</summary>
    public MergeResult Merge(string inputPath, string workDir, string selectedPath, string scoresPath)
    {
        Options.Validate();
        var records = JsonlReader.Read(inputPath, Options.SkipBadRecords).ToList();
        int n = records.Count, models = Options.Models.Count;
        var sSent = new double[models, n];
        var tokens = new JsonNode?[models, n];
        var theta = new double[models];
        for (int m = 0; m < models; m++)
        {
            var seen = new bool[n];
            var files = Directory.GetFiles(workDir, $"model-{m}.shard-*-of-*.jsonl");
            if (files.Length == 0) throw new InvalidOperationException($"No scores for model {m} ({Options.Models[m]}) in {workDir}; run the scoring phase first.");
            foreach (var f in files)
                foreach (var line in JsonlReader.Read(f))
                {
                    int i = line.Value["index"]!.GetValue<int>();
                    if (i < 0 || i >= n) throw new InvalidDataException($"{f}:{line.Line}: index {i} outside the input's {n} records (wrong --input?).");
                    if (seen[i]) throw new InvalidDataException($"{f}:{line.Line}: record {i} scored twice for model {m} (overlapping shards?).");
                    seen[i] = true;
                    sSent[m, i] = line.Value["s_sent"]!.GetValue<double>();
                    tokens[m, i] = line.Value["s_token"]!.DeepClone();
                    theta[m] = line.Value["parameters"]!.GetValue<double>();
                }
            int missing = seen.Count(s => !s);
            if (missing > 0) throw new InvalidDataException($"Model {m}: {missing} of {n} records have no score yet (unfinished shard?).");
        }
        var weights = Options.ModelWeights?.ToArray() ?? theta;
        var scores = new double[n];
        var dir = Path.GetDirectoryName(Path.GetFullPath(scoresPath));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        using (var sw = new StreamWriter(scoresPath))
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
        using (var w = new StreamWriter(tmp))
            foreach (var i in chosen) w.WriteLine(records[i].Value.ToJsonString());
        File.Move(tmp, selectedPath, overwrite: true);
        ScoreHistogram.Write(scores, chosen.Length > 0 ? scores[chosen[^1]] : null, Path.ChangeExtension(scoresPath, ".png"));
        log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"selected {chosen.Length} of {n} records (weights {string.Join(", ", weights.Select(w => w.ToString("G4", CultureInfo.InvariantCulture)))})"));
        return new MergeResult(n, chosen.Length, scores);
    }
}
