using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Models;
using Engine.Models.Config;
using Engine.Models.Generation;
using Engine.Models.Pruning;
using Engine.Runtime;
using Engine.Runtime.Distributed;

namespace Engine.Methods.Pruning.DRPruning;

/// <summary>What a DRPruning run produced.</summary>
/// <param name="FinalModel">The folder to use: continued/ after continued pre-training, else pruned/.</param>
/// <param name="PrunedModel">The dense pruned model right after pruning (pruned/).</param>
/// <param name="Domains">Domain names, in the order of every per-domain vector.</param>
/// <param name="FinalWeights">The mixture the sampler ended with.</param>
/// <param name="Reference">The controller's reference losses at the end.</param>
public sealed record DrPruningResult(string FinalModel, string PrunedModel, TargetShape Target, ModelConfig SourceConfig, ModelConfig PrunedConfig,
    IReadOnlyList<string> Domains, double[] FinalWeights, double[] Reference, double WallSeconds)
{
    public long SourceParameters => SourceConfig.ParameterCount();
    public long PrunedParameters => PrunedConfig.ParameterCount();
    public long SourceNonEmbedding => DrPruningRunner.NonEmbedding(SourceConfig);
    public long PrunedNonEmbedding => DrPruningRunner.NonEmbedding(PrunedConfig);
}

/// <summary>
/// The DRPruning pipeline: prune (masked training with the L0 module and the domain controller) → materialise the
/// dense smaller model (a plain Llama/Qwen2 folder) → optionally continue pre-training it with the same controller.
/// Every check of the inputs (target shape against the source, every domain present, proportions and reference losses
/// naming known domains) runs before the first step. Each stage checkpoints; <c>resume</c> continues the stage in
/// progress and skips finished ones (their marker files are written last). Under a launcher
/// (<see cref="Communicators.Current"/> set), both training stages are data parallel; every rank computes the same masks
/// and export, rank 0 alone writes files, and no rank reads a stage's output before rank 0 has written it.
/// </summary>
public static class DrPruningRunner
{
    public const string PruneDir = "prune", PrunedDir = "pruned", ContinuedDir = "continued", ReportFile = "report.json";
    private const string ExportMarker = "drpruning_export.json", ContinueMarker = "drpruning_continue.json";

    /// <summary>Parameters outside the token embedding and the (untied) LM head.</summary>
    public static long NonEmbedding(ModelConfig c) => c.ParameterCount() - (long)c.VocabSize * c.HiddenSize * (c.TieWordEmbeddings ? 1 : 2);

    /// <param name="callbacks">Observers per stage ("prune", "continue") and its folder (progress, metrics).</param>
    public static DrPruningResult Run(DrPruningOptions o, bool resume = false, Action<string>? log = null,
        Func<string, string, IEnumerable<ITrainerCallback>>? callbacks = null)
    {
        var clock = Stopwatch.StartNew();
        o.Validate();
        var comm = Communicators.CurrentOrLocal(o.Device);
        bool root = comm.Rank == 0;
        var say = log ?? (_ => { });
        log = m => { if (root) say(m); };
        // ---- every input check, before any training ----
        var bundle = ModelBundle.Load(o.Model, o.Device);
        var source = bundle.Model.Config;
        var target = TargetShape.Load(o.TargetConfig, source);
        var tok = ExampleTokenizer.FromModel(bundle, new TokenizationOptions { MaxLength = o.MaxLength > 0 ? o.MaxLength : null });
        var all = DomainRecords.Read(o.Data, tok);
        if (all.Examples.Count == 0) throw new InvalidDataException("The domain mixture (--data) has no records with tokens to train on.");
        DomainExamples train, held;
        if (o.EvalData is { Count: > 0 })
        {
            train = all;
            held = DomainRecords.Read(o.EvalData, tok, all.Names);
            if (o.Controller.LossSource == DomainLossSource.Eval) DomainRecords.RequireEveryDomain(held, "the held-out data (--eval-data)");
        }
        else (train, held) = DomainRecords.Split(all, o.EvalPerDomain, o.Seed);
        var names = train.Names;
        var p0 = PerDomain(o.Proportions, names, "proportion") ?? train.Counts.Select(c => (double)c).ToArray();
        for (int d = 0; d < names.Count; d++)
        {
            if (train.Counts[d] == 0) throw new InvalidDataException($"Domain '{names[d]}' has no training records in --data.");
            if (!(p0[d] > 0)) throw new ArgumentException($"Domain '{names[d]}' has proportion {p0[d]}; every domain of the mixture needs a positive proportion.");
        }
        var reference = PerDomain(o.ReferenceLoss, names, "reference loss");
        long warm = (long)Math.Round(o.LagrangianWarmupRatio * o.Steps);
        // Built now so a bad controller setting (e.g. Sheared without targets) fails before training too.
        var pruneController = new DomainController(o.Controller, names, p0, reference, forPruning: true, o.Seed);
        log($"drpruning: {names.Count} domains [{string.Join(", ", names.Select((n, d) => $"{n} {train.Counts[d]}"))}], {held.Examples.Count} held out; "
            + $"source {Describe(TargetShape.Of(source))} → target {Describe(target)} (prunable {TargetShape.Of(source).PrunableSize(source.HeadDim):N0} → {target.PrunableSize(source.HeadDim):N0})");
        if (target.HeadDimImplicitlyDiffers(source.HeadDim))
            log($"note: hidden_size {target.HiddenSize} ≠ heads × head_dim ({target.NumHeads} × {source.HeadDim}); the exported config states head_dim, which transformers versions that derive it from hidden_size ignore.");

        Directory.CreateDirectory(o.Output);
        string pruneOut = Path.Combine(o.Output, PruneDir), prunedOut = Path.Combine(o.Output, PrunedDir);
        int pad = bundle.Tokenizer.PadTokenId ?? bundle.Tokenizer.EosTokenId ?? bundle.EosTokenIds.FirstOrDefault();
        double[] finalWeights, finalReference;

        // ---- stage 1: prune ----
        if (resume && File.Exists(Path.Combine(prunedOut, ExportMarker)))
        {
            var done = JsonNode.Parse(File.ReadAllText(Path.Combine(prunedOut, ExportMarker)))!;
            finalWeights = Doubles(done["final_weights"]); finalReference = Doubles(done["reference"]);
            log("drpruning: pruning finished earlier; skipping to the next stage");
        }
        else
        {
            var l0 = new L0Module(source, target, o.Seed, warm, o.Device);
            var opts = Recipe(o, o.Steps, o.LearningRate, o.WarmupRatio, pruneOut, pad);
            var trainer = new DrPruningTrainer(new TrainableModel(bundle.Model, null, o.Model), train.Examples, train.Domains, held.Examples, held.Domains,
                opts, pruneController, l0, o.MaskLearningRate);
            foreach (var c in callbacks?.Invoke("prune", pruneOut) ?? []) trainer.Callbacks.Add(c);
            trainer.Train(resume && HasCheckpoint(pruneOut, log));
            bundle.Model.Masks = null;
            var masks = l0.Deterministic(exactTargets: true);
            // Every rank builds the same dense model (deterministic); rank 0 writes it into a scratch folder, the others discard theirs.
            if (root)
            {
                WriteMasks(Path.Combine(pruneOut, "l0_masks.json"), l0, masks);
                if (Directory.Exists(prunedOut)) Directory.Delete(prunedOut, recursive: true);
            }
            var exportDir = root ? prunedOut : Path.Combine(Path.GetTempPath(), $"drpruning-rank{comm.Rank}-{Environment.ProcessId}");
            var report = DenseExport.Export(bundle.Model, masks, exportDir, new DenseExportOptions
            {
                TokenizerDir = o.Model, SaveDType = DType.F32, ReplicateLmHeadDoubleScaling = o.ReplicateLmHeadDoubleScaling,
            });
            if (!root) Directory.Delete(exportDir, recursive: true);
            finalWeights = [.. trainer.MixtureSampler.Weights]; finalReference = [.. pruneController.Reference];
            if (root) WriteJson(Path.Combine(prunedOut, ExportMarker), new JsonObject
            {
                ["source"] = Path.GetFullPath(o.Model), ["target"] = target.ToJson(),
                ["kept_layers"] = Ints(report.KeptLayers), ["kept_hidden_dims"] = Ints(report.KeptHiddenDims),
                ["padded_heads"] = report.PaddedHeads, ["padded_units"] = report.PaddedUnits, ["parameters"] = report.ParameterCount,
                ["domains"] = Strings(names), ["final_weights"] = Nums(finalWeights), ["reference"] = Nums(finalReference),
                ["controller_log"] = pruneController.Save()["log"]!.DeepClone(),
            });
            log($"drpruning: pruned model in {prunedOut} ({report.ParameterCount:N0} parameters; layers kept [{string.Join(", ", report.KeptLayers)}])");
        }
        comm.Barrier(); // pruned/ is complete before any rank loads it
        var prunedConfig = ModelConfig.Load(prunedOut);
        var finalModel = prunedOut;

        // ---- stage 2: continued pre-training ----
        if (o.ContinueSteps > 0)
        {
            string cptOut = Path.Combine(o.Output, ContinuedDir);
            finalModel = cptOut;
            if (resume && File.Exists(Path.Combine(cptOut, ContinueMarker)))
            {
                var done = JsonNode.Parse(File.ReadAllText(Path.Combine(cptOut, ContinueMarker)))!;
                finalWeights = Doubles(done["final_weights"]); finalReference = Doubles(done["reference"]);
                log("drpruning: continued pre-training finished earlier");
            }
            else
            {
                var pruned = ModelBundle.Load(prunedOut, o.Device);
                // Sheared's continued pre-training starts from the mixture pruning ended with; DRO and constant from p0.
                var start = o.Controller.Controller == MixtureController.Sheared ? finalWeights : p0;
                var controller = new DomainController(o.Controller, names, start, reference, forPruning: false, o.Seed + 1);
                var opts = Recipe(o, o.ContinueSteps, o.ContinueLearningRate, o.ContinueWarmupRatio, cptOut, pad) with { Seed = o.Seed + 1 };
                var trainer = new DrPruningTrainer(new TrainableModel(pruned.Model, null, prunedOut), train.Examples, train.Domains, held.Examples, held.Domains,
                    opts, controller);
                foreach (var c in callbacks?.Invoke("continue", cptOut) ?? []) trainer.Callbacks.Add(c);
                trainer.Train(resume && HasCheckpoint(cptOut, log));
                if (root)
                {
                    pruned.Tokenizer.Save(cptOut);
                    (pruned.Generation ?? new GenerationConfig { EosTokenIds = pruned.EosTokenIds }).Save(cptOut);
                }
                finalWeights = [.. trainer.MixtureSampler.Weights]; finalReference = [.. controller.Reference];
                if (root) WriteJson(Path.Combine(cptOut, ContinueMarker), new JsonObject
                {
                    ["steps"] = o.ContinueSteps, ["domains"] = Strings(names), ["final_weights"] = Nums(finalWeights), ["reference"] = Nums(finalReference),
                    ["controller_log"] = controller.Save()["log"]!.DeepClone(),
                });
                log($"drpruning: continued pre-training done, model in {cptOut}");
            }
        }

        var result = new DrPruningResult(finalModel, prunedOut, target, source, prunedConfig, names, finalWeights, finalReference, clock.Elapsed.TotalSeconds);
        if (root) WriteJson(Path.Combine(o.Output, ReportFile), new JsonObject
        {
            ["final_model"] = Path.GetFullPath(finalModel), ["pruned_model"] = Path.GetFullPath(prunedOut),
            ["source_parameters"] = result.SourceParameters, ["pruned_parameters"] = result.PrunedParameters,
            ["source_non_embedding"] = result.SourceNonEmbedding, ["pruned_non_embedding"] = result.PrunedNonEmbedding,
            ["target"] = target.ToJson(), ["domains"] = Strings(names), ["initial_proportions"] = Nums(pruneController.InitialRatio),
            ["final_weights"] = Nums(finalWeights), ["reference_loss"] = Nums(finalReference), ["controller"] = o.Controller.Controller.ToString().ToLowerInvariant(),
        });
        comm.Barrier(); // the report is written when any rank returns
        return result;
    }

    private static TrainerOptions Recipe(DrPruningOptions o, int steps, double lr, double warmup, string outDir, int pad) => new()
    {
        LearningRate = lr, Schedule = LrScheduleKind.Cosine, WarmupRatio = warmup, MaxSteps = steps, BatchSize = o.BatchSize,
        GradientAccumulation = o.GradientAccumulation, MaxGradNorm = o.MaxGradNorm, WeightDecay = 0, Beta1 = o.Beta1, Beta2 = o.Beta2,
        AdamEpsilon = o.AdamEpsilon, Seed = o.Seed, SaveSteps = o.SaveSteps, SaveTotalLimit = o.SaveTotalLimit, LogSteps = o.LogSteps,
        OutputDir = outDir, MaxLength = o.MaxLength, PadTokenId = pad, EvalBatchSize = o.BatchSize, Precision = o.Precision,
    };

    private static bool HasCheckpoint(string dir, Action<string> log)
    {
        if (Directory.Exists(dir) && Directory.EnumerateDirectories(dir, "checkpoint-*").Any()) return true;
        log($"drpruning: no checkpoint in {dir} yet; starting this stage from its beginning");
        return false;
    }

    /// <summary>A per-domain vector from name → value pairs: every domain named, no unknown name.</summary>
    private static double[]? PerDomain(IReadOnlyDictionary<string, double>? values, IReadOnlyList<string> names, string what)
    {
        if (values is null) return null;
        foreach (var key in values.Keys)
            if (!names.Contains(key)) throw new ArgumentException($"The {what} names domain '{key}', which has no records in --data (domains: {string.Join(", ", names)}).");
        return names.Select(n => values.TryGetValue(n, out var v) ? v : throw new ArgumentException($"No {what} given for domain '{n}'.")).ToArray();
    }

    private static string Describe(TargetShape s) => $"{s.NumLayers}L×{s.HiddenSize}h, {s.NumHeads}q/{s.NumKvHeads}kv heads, {s.IntermediateSize} MLP";

    private static void WriteMasks(string path, L0Module l0, Engine.Models.Transformer.StructuralMasks masks)
    {
        using var _ = Autograd.NoGrad();
        var o = new JsonObject { ["gates_kv_groups"] = l0.GatesKvGroups, ["expected_sparsity"] = l0.ExpectedOverallSparsity(), ["target_sparsity"] = l0.TargetSparsity };
        foreach (var m in l0.Masks)
            o[m.Name] = new JsonObject { ["shape"] = Ints(m.LogAlpha.ShapeArray()), ["target_size"] = m.TargetSize, ["log_alpha"] = Nums(m.LogAlpha.ToDoubleArray()) };
        foreach (var (name, z) in new[] { ("hidden", masks.Hidden), ("head", masks.GatesHeads()), ("intermediate", masks.Intermediate), ("layer", masks.MlpLayers) })
            o[name]!["deterministic"] = Nums(z!.ToDoubleArray());
        foreach (var (k, v) in l0.Lambdas()) o[k] = v;
        WriteJson(path, o);
    }

    private static Engine.Runtime.Tensor? GatesHeads(this Engine.Models.Transformer.StructuralMasks m) => m.KvHeads ?? m.Heads;

    private static void WriteJson(string path, JsonNode node)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Move(tmp, path, overwrite: true);
    }

    private static JsonArray Nums(IEnumerable<double> v) => new(v.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
    private static JsonArray Ints(IEnumerable<int> v) => new(v.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
    private static JsonArray Strings(IEnumerable<string> v) => new(v.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
    private static double[] Doubles(JsonNode? n) => n!.AsArray().Select(x => x!.GetValue<double>()).ToArray();
}
