using System.CommandLine;
using System.Globalization;
using Engine.Cli.Infrastructure;
using Engine.Methods.Synthesis.APT;

namespace Engine.Cli.Commands;

/// <summary>`engine apt run`: APT's iterative loop (mine bad cases, retrieve similar ones, DPO+SFT with LoRA, merge); `engine apt experiment`: its testbed measurement.</summary>
public static class AptCommand
{
    public static Command Create()
    {
        var cmd = new Command("apt", "APT (Rao et al., 2025): improve a model on a domain from its own mistakes. Each iteration mines the model's answers on an "
            + "evaluation set, keeps the bad cases (judge score below a threshold), retrieves similar training cases from a pool by tags and embeddings, "
            + "builds preference pairs, trains DPO + α·SFT with LoRA and merges the adapters into the next model.");
        cmd.Subcommands.Add(Run());
        cmd.Subcommands.Add(AptExperimentCommand.Create());
        return cmd;
    }

    private static Command Run()
    {
        var d = new AptOptions();
        var model = CliOptions.Model("Hugging Face model folder to improve (M_0). Default: the embedded default model.");
        var eval = new Option<string>("--eval") { Description = "The domain's data with gold responses (the paper's D_origin): JSONL, JSON or Parquet, or a folder; chat \"messages\", Alpaca, or prompt/completion. Each record is mined, judged against its gold response and, when bad, becomes a pair. Its \"tags\" (a list or CDT's object) and \"domain\" are used when present.", Required = true };
        var pool = new Option<string>("--pool") { Description = "The retrieval pool: training records with gold responses (same formats), with \"tags\" when available (else the --teacher tags them).", Required = true };
        var general = new Option<string?>("--general") { Description = "Optional general-capability set (same formats): mined and judged each iteration for the report's general accuracy (retention); never trained on." };
        var iterations = new Option<int>("--iterations") { Description = "Training rounds K; models M_0..M_K are evaluated (fewer when an iteration has no bad cases or no pairs).", DefaultValueFactory = _ => d.Iterations };
        var output = new Option<string>("--output") { Description = "Run folder: iter-<t>/ with every stage's file (mined, judged, bad, tags, embeddings, similar, pairs, train/ with the merged model M_{t+1}) and report.json; report.json and report.md over all iterations.", Required = true };
        var threshold = new Option<int>("--threshold") { Description = "A record is a bad case when its judge score is below this (APT: 3, i.e. scores 1 and 2).", DefaultValueFactory = _ => d.Threshold };
        var scale = new Option<double>("--scale") { Description = "σ: similar cases per bad case. Tag quotas are n_τ = max(1, ⌈w_τ·|E|·σ⌉).", DefaultValueFactory = _ => d.Scale };
        var retrieval = new Option<string>("--retrieval") { Description = "tag (APT: per bad-case tag a quota of same-tag pool items, ranked by cosine to the tag's mean bad-case embedding), mean (baseline: top ⌈|E|·σ⌉ by cosine to the mean bad-case embedding) or kmeans (baseline: k-means on bad-case embeddings, per cluster its share by cosine to the centroid).", DefaultValueFactory = _ => "tag" };
        var clusters = new Option<int>("--kmeans-k") { Description = "Clusters of the kmeans baseline (at most the number of bad cases).", DefaultValueFactory = _ => d.KMeansClusters };
        var domains = new Option<string?>("--retrieval-domains") { Description = "Comma-separated \"domain\" values: only bad cases of these domains drive retrieval (all bad cases still become pairs). Default: all." };
        var objective = new Option<string>("--objective") { Description = "dpo-sft (APT: DPO plus α × the token-mean NLL of the chosen responses) or sft (ablation: SFT on the chosen responses of the same pairs).", DefaultValueFactory = _ => "dpo-sft" };
        var beta = new Option<double>("--beta") { Description = "DPO β.", DefaultValueFactory = _ => d.Beta };
        var alpha = new Option<double>("--sft-alpha") { Description = "α of the SFT term (token-mean NLL of the chosen responses over the step).", DefaultValueFactory = _ => d.SftAlpha };
        var loraR = new Option<int>("--lora-r") { Description = "LoRA rank.", DefaultValueFactory = _ => d.LoraRank };
        var loraAlpha = new Option<double>("--lora-alpha") { Description = "LoRA alpha (the update is scaled by alpha/r).", DefaultValueFactory = _ => d.LoraAlpha };
        var loraDropout = new Option<double>("--lora-dropout") { Description = "Dropout on the LoRA input.", DefaultValueFactory = _ => d.LoraDropout };
        var loraTargets = new Option<string>("--lora-targets") { Description = "Comma-separated modules to adapt, or all-linear (q, k, v, o, gate, up, down).", DefaultValueFactory = _ => "all-linear" };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (linear decay after warmup; APT: 1e-6 for Llama-2-7B, 2e-7 for Mistral-7B).", DefaultValueFactory = _ => d.LearningRate };
        var warmup = new Option<double>("--warmup-ratio") { Description = "Warmup as a fraction of each round's steps.", DefaultValueFactory = _ => d.WarmupRatio };
        var epochs = new Option<int>("--epochs") { Description = "Passes over each round's pairs.", DefaultValueFactory = _ => d.Epochs };
        var maxSteps = new Option<long>("--max-steps") { Description = "Optimizer steps per round, overriding --epochs (-1 = off).", DefaultValueFactory = _ => d.MaxSteps };
        var batch = new Option<int>("--batch-size") { Description = "Pairs per forward/backward.", DefaultValueFactory = _ => d.BatchSize };
        var accum = new Option<int>("--grad-accum") { Description = "Micro-batches per optimizer step (APT: 32 pairs per step).", DefaultValueFactory = _ => d.GradientAccumulation };
        var maxLength = new Option<int>("--max-length") { Description = "Longest training sequence in tokens (prompt + response).", DefaultValueFactory = _ => d.MaxLength };
        var saveSteps = new Option<int>("--save-steps") { Description = "Checkpoint each round every N steps, so a killed round resumes from there (0 = only the final model).", DefaultValueFactory = _ => d.SaveSteps };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Mining: longest answer in tokens (greedy decoding).", DefaultValueFactory = _ => d.MaxNewTokens };
        var stop = new Option<string[]>("--stop") { Description = "Mining: stop strings (repeatable). Default: four newlines, as APT.", AllowMultipleArgumentsPerToken = false };
        var genBatch = new Option<int>("--gen-batch-size") { Description = "Mining: prompts decoded together.", DefaultValueFactory = _ => d.GenerationBatchSize };
        var embedModel = new Option<string?>("--embed-model") { Description = "Model whose mean-pooled hidden states embed the questions (default: --model, fixed across iterations like APT's sentence encoder)." };
        var embedLayer = new Option<int?>("--embed-layer") { Description = "Hidden-state layer to pool (0 = embeddings; default: the final layer)." };
        var embedMax = new Option<int>("--embed-max-tokens") { Description = "Questions are cut to this many tokens before embedding.", DefaultValueFactory = _ => d.EmbedMaxTokens };
        var embedBatch = new Option<int>("--embed-batch-size") { Description = "Questions embedded per forward.", DefaultValueFactory = _ => d.EmbedBatchSize };
        var seed = new Option<ulong>("--seed") { Description = "Seed of LoRA initialisation, data order, dropout, k-means and pair partners (round t uses seed + t).", DefaultValueFactory = _ => d.Seed };
        var chunk = new Option<int>("--chunk-size") { Description = "Records per chunk of the mining, judging, tagging and embedding stages (written together; a kill loses at most one).", DefaultValueFactory = _ => d.ChunkSize };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --output: finished stages are skipped, a stopped stage continues where it stopped (training from its newest checkpoint). Refused, naming the differences, when a stage's inputs or options changed." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Delete the APT run in --output and start again. Without --resume or --overwrite a non-empty --output stops the run." };
        var skipBad = CliOptions.SkipBadRecords();
        var device = CliOptions.Device();
        var judge = new JudgeCliOptions();
        var teacher = new TeacherCliOptions();
        teacher.Teacher.Description = "Tagger for records without \"tags\" (asked for a JSON array of tags per question): " + teacher.Teacher.Description;

        var cmd = new Command("run", "Run APT's loop for --iterations rounds; every stage writes a file and resumes after a kill.")
        {
            model, eval, pool, general, iterations, output, threshold, scale, retrieval, clusters, domains, objective, beta, alpha, loraR, loraAlpha,
            loraDropout, loraTargets, lr, warmup, epochs, maxSteps, batch, accum, maxLength, saveSteps, maxNew, stop, genBatch, embedModel, embedLayer,
            embedMax, embedBatch, seed, chunk, resume, overwrite, skipBad, device,
        };
        judge.AddTo(cmd);
        teacher.AddTo(cmd);
        cmd.SetAction(r =>
        {
            // Under a launcher the training rounds run data parallel; rank 0 runs the other stages (AptRunner.Run).
            var dev = DistributedCli.JoinForTraining(r.GetValue(device)!);
            var options = new AptOptions
            {
                Iterations = r.GetValue(iterations), Threshold = r.GetValue(threshold), Scale = r.GetValue(scale),
                Retrieval = r.GetValue(retrieval) switch
                {
                    "tag" => AptRetrievalMethod.Tag, "mean" => AptRetrievalMethod.Mean, "kmeans" => AptRetrievalMethod.KMeans,
                    var x => throw new ArgumentException($"--retrieval must be tag, mean or kmeans, not '{x}'."),
                },
                KMeansClusters = r.GetValue(clusters),
                RetrievalDomains = r.GetValue(domains)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Objective = r.GetValue(objective) switch
                {
                    "dpo-sft" => AptObjective.DpoSft, "sft" => AptObjective.Sft,
                    var x => throw new ArgumentException($"--objective must be dpo-sft or sft, not '{x}'."),
                },
                Beta = r.GetValue(beta), SftAlpha = r.GetValue(alpha), LoraRank = r.GetValue(loraR), LoraAlpha = r.GetValue(loraAlpha),
                LoraDropout = r.GetValue(loraDropout), LoraTargets = Engine.Models.Lora.LoraConfig.ParseTargets(r.GetValue(loraTargets)!),
                LearningRate = r.GetValue(lr), WarmupRatio = r.GetValue(warmup), Epochs = r.GetValue(epochs), MaxSteps = r.GetValue(maxSteps),
                BatchSize = r.GetValue(batch), GradientAccumulation = r.GetValue(accum), MaxLength = r.GetValue(maxLength), SaveSteps = r.GetValue(saveSteps),
                MaxNewTokens = r.GetValue(maxNew), StopStrings = r.GetValue(stop) is { Length: > 0 } s ? s : d.StopStrings, GenerationBatchSize = r.GetValue(genBatch),
                EmbedModel = r.GetValue(embedModel), EmbedLayer = r.GetValue(embedLayer), EmbedMaxTokens = r.GetValue(embedMax), EmbedBatchSize = r.GetValue(embedBatch),
                Seed = r.GetValue(seed), Device = dev, SkipBadRecords = r.GetValue(skipBad), ChunkSize = r.GetValue(chunk),
            };
            options.Validate();
            var (j, client) = judge.Build(r, teacher, r.GetValue(device)!);
            try
            {
                using var progress = new ProgressReporter();
                var runner = new AptRunner(options, j, () => teacher.Build(r, r.GetValue(device)!), r.GetValue(teacher.Teacher)!, progress.Meter);
                var result = runner.Run(ModelResolver.Resolve(r.GetValue(model)), r.GetValue(eval)!, r.GetValue(pool)!, r.GetValue(output)!,
                    r.GetValue(general), r.GetValue(resume), r.GetValue(overwrite));
                foreach (var it in result.Iterations)
                {
                    var generalText = it.General is { } g ? string.Create(CultureInfo.InvariantCulture, $", general accuracy {g.Accuracy:P1}") : "";
                    var after = it.Stop is null ? $"; {it.Pairs} pairs, {it.TrainSteps} steps" : $" ({it.Stop})";
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"iteration {it.Iteration}: {it.Domain.Bad} bad cases, domain accuracy {it.Domain.Accuracy:P1}{generalText}{after}"));
                }
                Console.WriteLine($"apt: final model {result.FinalModel}; report in {Path.Combine(r.GetValue(output)!, "report.md")}");
            }
            finally { client?.Dispose(); }
            return 0;
        });
        return cmd;
    }
}
