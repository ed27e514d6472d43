using Engine.Runtime.Distributed;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Core.Progress;
using Engine.Methods.Training;
using Engine.Methods.Training.Checkpoints;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Observability;
using Engine.Methods.Training.Preference;
using Engine.Models;
using Engine.Models.Chat;
using Engine.Models.Generation;
using Engine.Models.Lora;

namespace Engine.Methods.Synthesis.APT;

/// <summary>
/// One training round of APT: LoRA on M_t, DPO (β) with α × the token-mean NLL of the chosen responses (the official
/// loss; π_ref = M_t, the adapters switched off), or SFT on the chosen responses for the ablation; the adapters are
/// merged into M_{t+1} in the output folder with its tokenizer and generation config. Checkpoints every
/// <see cref="AptOptions.SaveSteps"/>; a round that was killed resumes from its newest checkpoint, bit for bit.
/// </summary>
internal sealed class AptTraining(AptOptions options, int iteration, TextWriter? progressWriter)
{
    public TrainerOptions TrainerOptions(string outDir, int padId) => new()
    {
        LearningRate = options.LearningRate, Schedule = LrScheduleKind.Linear, WarmupRatio = options.WarmupRatio,
        Epochs = Math.Max(1, options.Epochs), MaxSteps = options.MaxSteps, BatchSize = options.BatchSize,
        GradientAccumulation = options.GradientAccumulation, MaxGradNorm = 1.0, WeightDecay = 0, Seed = options.Seed + (ulong)iteration,
        SaveSteps = options.SaveSteps, SaveTotalLimit = 1, LogSteps = 10, OutputDir = outDir, MaxLength = options.MaxLength,
        PadTokenId = padId, FinalSave = FinalSaveMode.Merged, EvalBatchSize = options.BatchSize,
    };

    private JobFingerprint Fingerprint(string model, string pairs) => new JobFingerprint("apt-train")
        .Add("model", ContentDigest.OfModel(model)).Add("pairs", ContentDigest.OfFile(pairs)).Add("objective", options.Objective.ToString())
        .Add("beta", options.Beta).Add("sft_alpha", options.SftAlpha).Add("lora_r", options.LoraRank).Add("lora_alpha", options.LoraAlpha)
        .Add("lora_dropout", options.LoraDropout).Add("lora_targets", options.LoraTargets).Add("lr", options.LearningRate)
        .Add("warmup_ratio", options.WarmupRatio).Add("epochs", options.Epochs).Add("max_steps", options.MaxSteps)
        .Add("batch_size", options.BatchSize).Add("grad_accum", options.GradientAccumulation).Add("max_length", options.MaxLength)
        .Add("seed", (long)(options.Seed + (ulong)iteration)).Add("device", options.Device.IsCpu ? "cpu" : "cuda");

    /// <summary>Train on <paramref name="pairs"/> from <paramref name="model"/> into <paramref name="outDir"/>; skipped when already done with the same inputs.</summary>
    /// <remarks>
    /// With several ranks (<paramref name="comm"/>), every rank decides from the same files whether to skip or resume
    /// before rank 0 writes anything. The trainer runs data parallel, and rank 0 alone writes the round's files.
    /// </remarks>
    public (long Steps, double? Loss) Run(string model, string pairs, string outDir, IProgress progress, ICommunicator comm)
    {
        var f = Fingerprint(model, pairs);
        var existing = JobManifest.TryRead(outDir);
        if (existing is not null)
        {
            var diffs = existing.Fingerprint.Differences(f);
            if (diffs.Count > 0) throw new JobException($"cannot resume {outDir}: it was trained with different inputs or options ({string.Join("; ", diffs)}). Use --overwrite to start the run again.");
            if (existing.Complete && File.Exists(Path.Combine(outDir, "config.json"))) return (existing.Records ?? 0, StoredLoss(outDir));
        }
        bool resume = existing is not null && CheckpointStore.Latest(outDir) is not null;
        comm.Barrier(); // every rank has read the manifest before rank 0 rewrites it
        bool root = comm.Rank == 0;
        if (root)
        {
            new JobManifest { Fingerprint = f, Shard = Shard.Whole, OutputsPerRecord = 1 }.Write(outDir);
            progress.Note(resume ? $"apt: training resumes from {CheckpointStore.Latest(outDir)}" : $"apt: training on {pairs}");
        }

        var bundle = ModelBundle.Load(model, options.Device);
        var lora = LoraModel.Apply(bundle.Model, new LoraConfig
        {
            Rank = options.LoraRank, Alpha = options.LoraAlpha, Dropout = options.LoraDropout, TargetModules = options.LoraTargets,
            BaseModelNameOrPath = Path.GetFullPath(model),
        }, options.Seed + (ulong)iteration);
        var trainable = new TrainableModel(bundle.Model, lora, Path.GetFullPath(model));
        var tok = ExampleTokenizer.FromModel(bundle, new TokenizationOptions { MaxLength = options.MaxLength });
        int pad = bundle.Tokenizer.PadTokenId ?? bundle.Tokenizer.EosTokenId ?? bundle.EosTokenIds.FirstOrDefault();
        var to = TrainerOptions(outDir, pad);
        TrainResult result;
        using (var metrics = new MetricsLogger(outDir, progressWriter))
        {
            if (options.Objective == AptObjective.DpoSft)
            {
                var (data, _) = TrainingDataset.LoadPreference([pairs], tok);
                var trainer = new DpoTrainer(trainable, data, to, new DpoOptions { Beta = options.Beta, SftAlpha = options.SftAlpha });
                trainer.Callbacks.Add(metrics);
                result = trainer.Train(resume);
            }
            else
            {
                var (data, _) = TrainingDataset.LoadSft([pairs], tok);
                var trainer = new SftTrainer(trainable, data, to);
                trainer.Callbacks.Add(metrics);
                result = trainer.Train(resume);
            }
        }
        double? loss = double.IsFinite(result.FinalLoss) ? result.FinalLoss : null;
        if (root)
        {
            bundle.Tokenizer.Save(outDir);
            (bundle.Generation ?? new GenerationConfig { EosTokenIds = bundle.EosTokenIds }).Save(outDir);
            File.WriteAllText(Path.Combine(outDir, ResultFile), new JsonObject { ["steps"] = result.Steps, ["final_loss"] = loss }.ToJsonString());
            new JobManifest { Fingerprint = f, Shard = Shard.Whole, OutputsPerRecord = 1, Complete = true, Records = result.Steps }.Write(outDir);
        }
        comm.Barrier(); // the merged model is complete before any rank loads it
        return (result.Steps, loss);
    }

    /// <summary>The round's steps and final loss, kept so that a finished round skipped on resume reports what it reported when it ran.</summary>
    public const string ResultFile = "apt-train-result.json";

    private static double? StoredLoss(string outDir)
    {
        var path = Path.Combine(outDir, ResultFile);
        if (!File.Exists(path)) return null;
        return JsonNode.Parse(File.ReadAllText(path))?["final_loss"] is JsonValue v && v.TryGetValue<double>(out var l) ? l : null;
    }
}
