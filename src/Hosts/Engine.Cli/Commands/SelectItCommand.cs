using System.CommandLine;
using Engine.Cli.Infrastructure;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Selection.SelectIT;

namespace Engine.Cli.Commands;

/// <summary>`engine selectit`: select instruction data by uncertainty-aware self-reflection (Liu et al., 2024).</summary>
public static class SelectItCommand
{
    public static Command Create()
    {
        var models = new Option<string?>("--models") { Description = "Comma-separated model folders that rate the data (base models in the paper). Default: the embedded default model." };
        var weights = new Option<string?>("--weights") { Description = "Comma-separated model weights θ (default: parameter counts, as in the paper)." };
        var input = new Option<string>("--input") { Description = "Records to rate (JSONL, JSON array or Parquet, or a folder): Alpaca (instruction/input/output), chat \"messages\", ShareGPT/LLMZoo \"conversations\", prompt/completion; each is rated on its first user turn and the assistant turn after it.", Required = true };
        var output = new Option<string>("--output") { Description = "Selected records (JSONL, best first).", Required = true };
        var scores = new Option<string?>("--scores") { Description = "Every record's scores (s_model, s_sent per model, s_token per prompt). Default: <output>.scores.jsonl." };
        var ratio = new Option<double>("--ratio") { Description = "Fraction of records to keep.", DefaultValueFactory = _ => 0.2 };
        var topN = new Option<int?>("--top-n") { Description = "Keep this many records instead of a ratio." };
        var alpha = new Option<double>("--alpha") { Description = "Penalty on the spread of scores across rating prompts: S_sent = mean/(1+α·std). Applied when merging, from the stored token-level scores, so `--merge --alpha X` re-ranks without rescoring.", DefaultValueFactory = _ => 0.2 };
        var scale = new Option<int>("--scale") { Description = "Rating scale 1..K (K rating tokens).", DefaultValueFactory = _ => 5 };
        var numPrompts = new Option<int>("--num-prompts") { Description = "Rating prompts per record (sentence level).", DefaultValueFactory = _ => 5 };
        var prompts = new Option<string?>("--prompts") { Description = "File of rating prompts, one per line (default: built-in wording)." };
        var norm = new Option<string>("--normalization") { Description = "paper (P/ΣP, default) or code (the released code's extra softmax).", DefaultValueFactory = _ => "paper" };
        var batch = new Option<int>("--batch-size") { Description = "Rating inputs per forward pass (each record has --num-prompts of them).", DefaultValueFactory = _ => 8 };
        var shard = CliOptions.Shard();
        shard.Description = "Score only shard i of n (\"i/n\": the records whose index among the valid records, mod n, is i) into the work folder; then run --merge once every shard is done. "
            + "Under a launcher (mpirun -np N, srun) without --shard, each process scores its rank's shard and rank 0 merges and selects.";
        var merge = new Option<bool>("--merge") { Description = "Do not score: merge and check the score files in --work-dir (every shard of every model, same options and input), apply --alpha, --weights, --ratio/--top-n, and write the selection." };
        var workDir = new Option<string?>("--work-dir") { Description = "Folder for the per-model (per-shard) score files, model-<m>[.shard-i-of-n].jsonl with their .job.json (default: <output>.work)." };
        var resume = CliOptions.Resume();
        resume.Description = "Keep the scores already in the work folder and score the rest. Refused if they were made with other models, input, rating prompts, scale, normalization or --max-tokens.";
        var overwrite = CliOptions.Overwrite();
        overwrite.Description = "Replace score files already in the work folder. Without --resume or --overwrite existing score files stop the run.";
        var skipBad = CliOptions.SkipBadRecords();
        var maxTokens = new Option<int?>("--max-tokens") { Description = "Longest rating input in tokens (default: the model's context). A longer one keeps BOS, the rating prompt, the head of the instruction, the head and tail of the response and the \"The answer is:\" suffix: the response loses its middle first, the instruction its tail only when it leaves the response under half the room. Such records get \"truncated\": true in the score files." };
        var device = CliOptions.Device();
        var cmd = new Command("selectit", "Rate instruction data with the models' own rating-token probabilities (token, sentence and model level) and keep the best fraction.")
        { models, weights, input, output, scores, ratio, topN, alpha, scale, numPrompts, prompts, norm, batch, shard, merge, workDir, resume, overwrite, skipBad, maxTokens, device };
        cmd.Subcommands.Add(SelectItExperimentCommand.Create());
        cmd.SetAction(r =>
        {
            var modelList = (r.GetValue(models) is { } ms ? ms.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [ModelResolver.Resolve(null)]);
            var sh = RecordJobCliOptions.ShardOrLauncher(r.GetValue(shard));
            bool launched = RecordJobCliOptions.IsLauncherShard(sh);
            if (r.GetValue(resume) && r.GetValue(overwrite)) throw new ArgumentException("--resume and --overwrite exclude each other.");
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
                Shard = sh,
                Device = CliOptions.ParseDevice(r.GetValue(device)!),
                SkipBadRecords = r.GetValue(skipBad),
                MaxTokens = r.GetValue(maxTokens),
            };
            var outPath = r.GetValue(output)!;
            var work = r.GetValue(workDir) ?? outPath + ".work";
            using var progress = new ProgressReporter();
            var runner = new SelectItRunner(opts, progress.Meter);
            if (!r.GetValue(merge))
            {
                runner.Score(r.GetValue(input)!, work, r.GetValue(resume), r.GetValue(overwrite));
                // Under a launcher (mpirun -np N engine selectit ...): every rank scored its shard; rank 0 merges.
                if (launched && !RecordJobCliOptions.WaitForShards()) return 0;
                if (!sh.IsWhole && !launched) { Console.Error.WriteLine($"shard {sh} scored into {work}; run again with --merge when every shard is done."); return 0; }
            }
            var result = runner.Merge(r.GetValue(input)!, work, outPath, r.GetValue(scores) ?? outPath + ".scores.jsonl");
            Console.WriteLine($"selectit: kept {result.Selected} of {result.Records} records -> {outPath}");
            return 0;
        });
        return cmd;
    }
}
