using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Cli.Infrastructure;
using Engine.Methods.Pruning.DRPruning;
using Engine.Methods.Training;
using Engine.Methods.Training.Observability;
using Engine.Runtime;

namespace Engine.Cli.Commands;

/// <summary>`engine prune`: DRPruning — structured L0 pruning to a target shape with a distributionally robust domain mixture.</summary>
public static class PruneCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Source Hugging Face model folder to prune (llama, qwen2, mistral, qwen3).", Required = true };
        var data = new Option<string[]>("--data") { Description = "Domain mixture: JSONL/Parquet files or folders (repeatable). Every record is an SFT record (\"text\" trains every token; chat \"messages\", instruction/output and prompt/completion train the response) with a \"domain\" string.", Required = true, AllowMultipleArgumentsPerToken = true };
        var evalData = new Option<string[]>("--eval-data") { Description = "Held-out mixture (same format) for the controller's per-domain losses. Default: hold out --eval-per-domain records of each domain of --data.", AllowMultipleArgumentsPerToken = true };
        var evalPerDomain = new Option<int>("--eval-per-domain") { Description = "Records held out per domain when there is no --eval-data (at most a tenth of the domain, at least one).", DefaultValueFactory = _ => 100 };
        var target = new Option<string>("--target-config") { Description = "JSON with the target shape in Hugging Face keys: hidden_size, num_attention_heads, num_key_value_heads, num_hidden_layers, intermediate_size (a full config.json works; an absent key keeps the source's value). On GQA models whole KV groups are pruned, so heads / KV heads must stay the source's ratio.", Required = true };
        var output = new Option<string>("--output") { Description = "Output folder: prune/ (checkpoints, metrics.jsonl, l0_masks.json), pruned/ (the dense pruned model), continued/ (after --continue-steps), report.json.", Required = true };
        var proportions = new Option<string?>("--proportions") { Description = "Initial domain proportions p0 as domain=value pairs (comma-separated) or a JSON object file. Default: the training records' shares." };
        var reference = new Option<string?>("--reference-loss") { Description = "Reference loss per domain as domain=value pairs or a JSON object file (e.g. from `engine prune reference`). DRO starts from it (and lowers it by the scaling-law fit); the sheared controller needs it." };
        var controller = new Option<string>("--controller") { Description = "Domain-mixture controller: dro (DRPruning), sheared (Sheared-LLaMA's dynamic batch loading toward fixed reference losses) or constant (fixed proportions, LLM-Shearing's plain pruning).", DefaultValueFactory = _ => "dro" };
        var lossSource = new Option<string>("--domain-loss") { Description = "Per-domain losses the controller reads: eval (held-out pass at every update, DRPruning's recommended setting) or train (EMA of the training batches).", DefaultValueFactory = _ => "eval" };
        var updateEvery = new Option<int>("--update-every") { Description = "Run the controller every N optimizer steps (DRPruning: every 50 of 3,200 pruning steps).", DefaultValueFactory = _ => 50 };
        var rho = new Option<double>("--rho") { Description = "Radius ρ of the χ² ball around the reference ratio.", DefaultValueFactory = _ => 0.1 };
        var minProb = new Option<double>("--min-prob") { Description = "Floor of q_k/p_k inside the ball (min_prob).", DefaultValueFactory = _ => 0.2 };
        var noClamp = new Option<bool>("--no-clamp-to-min") { Description = "Do not raise every weight to at least the smallest reference proportion (clamp_q_to_min is on by default)." };
        var noDynRef = new Option<bool>("--no-dynamic-reference") { Description = "Keep the reference losses fixed instead of lowering them to each domain's fitted scaling-law prediction (DRPruning's \"Dy\")." };
        var noDynRatio = new Option<bool>("--no-dynamic-ratio") { Description = "Keep the ball's centre at p0 instead of moving it toward the DRO weights (DRPruning's \"DyAll\")." };
        var ema = new Option<double>("--ema") { Description = "EMA weight of the newest batch loss with --domain-loss train.", DefaultValueFactory = _ => 0.1 };
        var emaCold = new Option<bool>("--ema-cold-start") { Description = "With --domain-loss train, start each domain's EMA at 0 as DRPruning's code does (default: at the domain's first observed loss)." };
        var steps = new Option<int>("--steps") { Description = "Pruning (masked training) optimizer steps.", DefaultValueFactory = _ => 3200 };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate of the model weights while pruning (AdamW, cosine after warm-up).", DefaultValueFactory = _ => 1e-4 };
        var lagLr = new Option<double>("--lag-lr") { Description = "Learning rate of the mask log α's; the Lagrange multipliers ascend with the same rate.", DefaultValueFactory = _ => 1.0 };
        var warmup = new Option<double>("--warmup-ratio") { Description = "Learning-rate warm-up as a fraction of the pruning steps.", DefaultValueFactory = _ => 0.1 };
        var lagWarmup = new Option<double>("--lagrangian-warmup-ratio") { Description = "Fraction of the pruning steps over which each module's target sparsity ramps up from 0.", DefaultValueFactory = _ => 0.2 };
        var batch = new Option<int>("--batch-size") { Description = "Examples per forward/backward (micro-batch); each micro-batch samples its own masks.", DefaultValueFactory = _ => 8 };
        var accum = new Option<int>("--grad-accum") { Description = "Micro-batches per optimizer step (DRPruning's global batch 32 = 8 × 4).", DefaultValueFactory = _ => 4 };
        var maxLength = new Option<int>("--max-length") { Description = "Maximum tokens per sequence; longer ones are truncated (0 = no limit).", DefaultValueFactory = _ => 1024 };
        var maxGradNorm = new Option<double>("--max-grad-norm") { Description = "Clip the global gradient norm (model, masks and multipliers together) to this (0 = off).", DefaultValueFactory = _ => 1.0 };
        var beta2 = new Option<double>("--adam-beta2") { Description = "AdamW β2 (DRPruning: 0.95; β1 0.9, ε 1e-8, no weight decay).", DefaultValueFactory = _ => 0.95 };
        var seed = new Option<ulong>("--seed") { Description = "Seed for the held-out split, the domain draws, the mask noise and the controller.", DefaultValueFactory = _ => 42 };
        var saveSteps = new Option<int>("--save-steps") { Description = "Write an atomic checkpoint every N steps in each stage's folder (0 = never: an interrupted stage then restarts from its beginning with --resume).", DefaultValueFactory = _ => 0 };
        var saveLimit = new Option<int>("--save-total-limit") { Description = "Keep only the newest K checkpoints per stage (0 = all).", DefaultValueFactory = _ => 0 };
        var logSteps = new Option<int>("--log-steps") { Description = "Report mean loss and metrics (Lagrangian, expected sparsity, domain weights) every N steps.", DefaultValueFactory = _ => 10 };
        var resume = new Option<bool>("--resume") { Description = "Continue the unfinished stage from its latest checkpoint (same options and data) and skip finished stages." };
        var contSteps = new Option<int>("--continue-steps") { Description = "Continued pre-training steps of the pruned dense model with the same controller (0 = none).", DefaultValueFactory = _ => 0 };
        var contLr = new Option<double>("--continue-lr") { Description = "Peak learning rate of continued pre-training.", DefaultValueFactory = _ => 1e-4 };
        var contWarmup = new Option<double>("--continue-warmup-ratio") { Description = "Warm-up of continued pre-training as a fraction of its steps.", DefaultValueFactory = _ => 0.03 };
        var doubleScale = new Option<bool>("--replicate-lm-head-double-scaling") { Description = "Fold the hidden mask into the LM head twice, as LLM-Shearing's released models did (the export then differs from the masked model by ~0.4 %)." };
        var device = CliOptions.Device();
        var precision = new Option<string>("--precision") { Description = "Compute precision: auto (bf16 on cuda, f32 on cpu), f32 or bf16 (f32 masters, bf16 matmuls).", DefaultValueFactory = _ => "auto" };

        var cmd = new Command("prune", "DRPruning: prune a model to a target shape with hard-concrete L0 masks (Lagrangian toward the ramped target) while a distributionally "
            + "robust controller steers each batch's domain mixture toward the domains furthest above their reference loss; then write the dense smaller model "
            + "(plain Hugging Face folder) and optionally continue pre-training it with the same controller.")
        {
            model, data, evalData, evalPerDomain, target, output, proportions, reference, controller, lossSource, updateEvery, rho, minProb, noClamp, noDynRef,
            noDynRatio, ema, emaCold, steps, lr, lagLr, warmup, lagWarmup, batch, accum, maxLength, maxGradNorm, beta2, seed, saveSteps, saveLimit, logSteps, resume,
            contSteps, contLr, contWarmup, doubleScale, device, precision,
        };
        cmd.Subcommands.Add(PruneExperimentCommand.Create());
        cmd.Subcommands.Add(PruneReferenceCommand.Create());
        cmd.SetAction(r =>
        {
            // Under a launcher (mpirun, srun) both training stages run data parallel; rank 0 writes every file.
            var dev = DistributedCli.PerProcessDevice(r.GetValue(device)!, CliOptions.ParseDevice(r.GetValue(device)!));
            bool root = DistributedCli.Join(dev).Rank == 0;
            var o = new DrPruningOptions
            {
                Model = r.GetValue(model)!, Data = r.GetValue(data)!, EvalData = r.GetValue(evalData) is { Length: > 0 } e ? e : null,
                EvalPerDomain = r.GetValue(evalPerDomain), TargetConfig = r.GetValue(target)!, Output = r.GetValue(output)!,
                Proportions = ParseDomainValues(r.GetValue(proportions), "--proportions"), ReferenceLoss = ParseDomainValues(r.GetValue(reference), "--reference-loss"),
                Controller = new DomainControllerOptions
                {
                    Controller = r.GetValue(controller) switch
                    {
                        "dro" => MixtureController.Dro, "sheared" => MixtureController.Sheared, "constant" => MixtureController.Constant,
                        var x => throw new ArgumentException($"--controller must be dro, sheared or constant, not '{x}'."),
                    },
                    LossSource = r.GetValue(lossSource) switch
                    {
                        "eval" => DomainLossSource.Eval, "train" => DomainLossSource.Train,
                        var x => throw new ArgumentException($"--domain-loss must be eval or train, not '{x}'."),
                    },
                    UpdateEvery = r.GetValue(updateEvery), Rho = r.GetValue(rho), MinProb = r.GetValue(minProb), ClampToMin = !r.GetValue(noClamp),
                    DynamicReference = !r.GetValue(noDynRef), DynamicRatio = !r.GetValue(noDynRatio), Ema = r.GetValue(ema), EmaWarmStart = !r.GetValue(emaCold),
                },
                Steps = r.GetValue(steps), LearningRate = r.GetValue(lr), MaskLearningRate = r.GetValue(lagLr), WarmupRatio = r.GetValue(warmup),
                LagrangianWarmupRatio = r.GetValue(lagWarmup), BatchSize = r.GetValue(batch), GradientAccumulation = r.GetValue(accum), MaxLength = r.GetValue(maxLength),
                MaxGradNorm = r.GetValue(maxGradNorm), Beta2 = r.GetValue(beta2), Seed = r.GetValue(seed), SaveSteps = r.GetValue(saveSteps),
                SaveTotalLimit = r.GetValue(saveLimit), LogSteps = r.GetValue(logSteps), ContinueSteps = r.GetValue(contSteps), ContinueLearningRate = r.GetValue(contLr),
                ContinueWarmupRatio = r.GetValue(contWarmup), ReplicateLmHeadDoubleScaling = r.GetValue(doubleScale), Device = dev,
                Precision = ComputePrecisions.Parse(r.GetValue(precision)!, dev),
            };
            var loggers = new List<MetricsLogger>();
            try
            {
                var result = DrPruningRunner.Run(o, r.GetValue(resume), m => Console.Error.WriteLine(m), (stage, dir) =>
                {
                    var logger = new MetricsLogger(dir);
                    loggers.Add(logger);
                    return [new RunBanner("prune " + stage), logger];
                });
                if (!root) return 0;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"pruned {result.SourceParameters:N0} → {result.PrunedParameters:N0} parameters ({result.SourceNonEmbedding:N0} → {result.PrunedNonEmbedding:N0} non-embedding); model in {result.FinalModel}"));
                Console.WriteLine("final mixture: " + string.Join(", ", result.Domains.Select((d, k) => string.Create(CultureInfo.InvariantCulture, $"{d} {result.FinalWeights[k]:F3}"))));
            }
            finally { foreach (var l in loggers) l.Dispose(); }
            return 0;
        });
        return cmd;
    }

    /// <summary>"a=1.5,b=2" or a JSON object file {"a": 1.5, "b": 2}; null when not given.</summary>
    public static Dictionary<string, double>? ParseDomainValues(string? text, string option)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        if (File.Exists(text))
        {
            JsonObject o;
            try { o = JsonNode.Parse(File.ReadAllText(text)) as JsonObject ?? throw new InvalidDataException($"{option} {text}: expected a JSON object of domain → number."); }
            catch (JsonException e) { throw new InvalidDataException($"{option} {text}: invalid JSON: {e.Message}", e); }
            var obj = o["reference_loss"] as JsonObject ?? o;   // the file `engine prune reference` writes, or a plain map
            foreach (var (k, v) in obj)
                values[k] = v is JsonValue jv && jv.TryGetValue<double>(out var d) ? d : throw new InvalidDataException($"{option} {text}: \"{k}\" must be a number.");
            return values;
        }
        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = pair.Split('=');
            if (kv.Length != 2 || !double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                throw new ArgumentException($"{option}: '{pair}' must be domain=number (or give a JSON file that exists).");
            if (!values.TryAdd(kv[0], d)) throw new ArgumentException($"{option}: domain '{kv[0]}' is given twice.");
        }
        return values;
    }
}
