using System.CommandLine;
using Engine.Cli.Infrastructure;
using Engine.Methods.Selection.SelectIT;

namespace Engine.Cli.Commands;

/// <summary>`engine selectit`: select instruction data by uncertainty-aware self-reflection (Liu et al., 2024).</summary>
public static class SelectItCommand
{
    public static Command Create()
    {
        var models = new Option<string?>("--models") { Description = "Comma-separated model folders that rate the data (base models in the paper). Default: the embedded default model." };
        var weights = new Option<string?>("--weights") { Description = "Comma-separated model weights θ (default: parameter counts, as in the paper)." };
        var input = new Option<string>("--input") { Description = "JSONL records: Alpaca (instruction/input/output), chat \"messages\" or LLMZoo \"conversations\".", Required = true };
        var output = new Option<string>("--output") { Description = "Selected records (JSONL, best first).", Required = true };
        var scores = new Option<string?>("--scores") { Description = "Every record's scores (s_model, s_sent per model, s_token per prompt). Default: <output>.scores.jsonl." };
        var ratio = new Option<double>("--ratio") { Description = "Fraction of records to keep.", DefaultValueFactory = _ => 0.2 };
        var topN = new Option<int?>("--top-n") { Description = "Keep this many records instead of a ratio." };
        var alpha = new Option<double>("--alpha") { Description = "Penalty on the spread of scores across rating prompts: S_sent = mean/(1+α·std).", DefaultValueFactory = _ => 0.2 };
        var scale = new Option<int>("--scale") { Description = "Rating scale 1..K (K rating tokens).", DefaultValueFactory = _ => 5 };
        var numPrompts = new Option<int>("--num-prompts") { Description = "Rating prompts per record (sentence level).", DefaultValueFactory = _ => 5 };
        var prompts = new Option<string?>("--prompts") { Description = "File of rating prompts, one per line (default: built-in wording)." };
        var norm = new Option<string>("--normalization") { Description = "paper (P/ΣP, default) or code (the released code's extra softmax).", DefaultValueFactory = _ => "paper" };
        var batch = new Option<int>("--batch-size") { Description = "Records per batch (each record is K rating inputs).", DefaultValueFactory = _ => 8 };
        var shard = new Option<string?>("--shard") { Description = "Score only shard i of n (\"i/n\", records with index mod n = i); then run --merge once all shards are done." };
        var merge = new Option<bool>("--merge") { Description = "Do not score: merge the shard files in --work-dir and write the selection." };
        var workDir = new Option<string?>("--work-dir") { Description = "Folder for per-model, per-shard score files (default: <output>.work)." };
        var resume = new Option<bool>("--resume") { Description = "Keep the scores already in the work folder and continue." };
        var skipBad = new Option<bool>("--skip-bad-records") { Description = "Report malformed input lines and continue." };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "Longest rating input; longer responses lose their middle (default: the model's max positions)." };
        var device = CliOptions.Device();
        var cmd = new Command("selectit", "Rate instruction data with the models' own rating-token probabilities (token, sentence and model level) and keep the best fraction.")
        { models, weights, input, output, scores, ratio, topN, alpha, scale, numPrompts, prompts, norm, batch, shard, merge, workDir, resume, skipBad, maxTokens, device };
        cmd.Subcommands.Add(SelectItExperimentCommand.Create());
        cmd.SetAction(r =>
        {
            var modelList = (r.GetValue(models) is { } ms ? ms.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [ModelResolver.Resolve(null)]);
            var (si, sn) = ParseShard(r.GetValue(shard));
            var opts = new SelectItOptions
            {
                Models = modelList,
                ModelWeights = r.GetValue(weights)?.Split(',').Select(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
                Alpha = r.GetValue(alpha),
                ScaleMax = r.GetValue(scale),
                NumPrompts = r.GetValue(numPrompts),
                Prompts = r.GetValue(prompts) is { } pf ? RatingPrompts.Load(pf) : RatingPrompts.Default,
                Normalization = r.GetValue(norm) switch { "paper" => RatingNormalization.Paper, "code" => RatingNormalization.CodeCompat, var x => throw new ArgumentException($"--normalization must be paper or code, not '{x}'.") },
                Ratio = r.GetValue(ratio),
                TopN = r.GetValue(topN),
                BatchSize = r.GetValue(batch),
                ShardIndex = si, ShardCount = sn,
                Device = CliOptions.ParseDevice(r.GetValue(device)!),
                SkipBadRecords = r.GetValue(skipBad),
                MaxTokens = r.GetValue(maxTokens),
            };
            var outPath = r.GetValue(output)!;
            var work = r.GetValue(workDir) ?? outPath + ".work";
            var runner = new SelectItRunner(opts, msg => Console.Error.WriteLine(msg));
            if (!r.GetValue(merge))
            {
                using var progress = new ProgressReporter("selectit", null);
                runner.Score(r.GetValue(input)!, work, r.GetValue(resume), (items, tokens) => progress.Add(items, tokens));
                if (sn > 1) { Console.Error.WriteLine($"shard {si}/{sn} scored into {work}; run again with --merge when every shard is done."); return 0; }
            }
            var result = runner.Merge(r.GetValue(input)!, work, outPath, r.GetValue(scores) ?? outPath + ".scores.jsonl");
            Console.WriteLine($"selectit: kept {result.Selected} of {result.Records} records -> {outPath}");
            return 0;
        });
        return cmd;
    }

    private static (int, int) ParseShard(string? s)
    {
        if (s is null) return (0, 1);
        var parts = s.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out var i) && int.TryParse(parts[1], out var n) && n > 0 && i >= 0 && i < n) return (i, n);
        throw new ArgumentException($"--shard must be i/n with 0 ≤ i < n, got '{s}'.");
    }
}
