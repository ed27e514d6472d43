using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Cli.Infrastructure;
using Engine.Methods.Pruning.DRPruning;
using Engine.Methods.Training.Data;
using Engine.Models;
using Engine.Models.Config;

namespace Engine.Cli.Commands;

/// <summary>`engine prune reference`: reference losses at the target size from models of several sizes (ℓ(N) fit per domain).</summary>
public static class PruneReferenceCommand
{
    public static Command Create()
    {
        var models = new Option<string[]>("--models") { Description = "Model folders of at least 3 different sizes, trained on the same kind of data (repeatable or comma-separated).", Required = true, AllowMultipleArgumentsPerToken = true };
        var evalData = new Option<string[]>("--eval-data") { Description = "Held-out domain mixture (records with a \"domain\" string) the models are scored on.", Required = true, AllowMultipleArgumentsPerToken = true };
        var source = new Option<string>("--model") { Description = "The model that will be pruned (its config gives the target's non-embedding size together with --target-config).", Required = true };
        var target = new Option<string>("--target-config") { Description = "Target shape JSON (as for `engine prune`).", Required = true };
        var output = new Option<string>("--output") { Description = "Write {\"reference_loss\": {domain: loss}, ...} here (usable as `engine prune --reference-loss FILE`).", Required = true };
        var batch = new Option<int>("--batch-size") { Description = "Sequences per forward pass.", DefaultValueFactory = _ => 16 };
        var device = CliOptions.Device();
        var cmd = new Command("reference", "Fit each domain's held-out loss as ℓ(N) = A·N^-b + E over the non-embedding sizes N of several models (DRPruning's fit: "
            + "grid of starts, Huber loss δ 1e-3, L-BFGS, average of the best three) and predict the loss at the pruned model's size: the reference losses for --reference-loss.")
        { models, evalData, source, target, output, batch, device };
        cmd.SetAction(r =>
        {
            var dev = CliOptions.ParseDevice(r.GetValue(device)!);
            var dirs = r.GetValue(models)!.SelectMany(m => m.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
            var sourceConfig = ModelConfig.Load(r.GetValue(source)!);
            var shape = TargetShape.Load(r.GetValue(target)!, sourceConfig);
            long targetN = DrPruningRunner.NonEmbedding(sourceConfig with
            {
                HiddenSize = shape.HiddenSize, NumHeads = shape.NumHeads, NumKvHeads = shape.NumKvHeads, NumLayers = shape.NumLayers, IntermediateSize = shape.IntermediateSize,
            });
            var sizes = new List<long>(); var losses = new List<double[]>();
            IReadOnlyList<string>? names = null;
            foreach (var dir in dirs)
            {
                var bundle = ModelBundle.Load(dir, dev);
                var held = DomainRecords.Read(r.GetValue(evalData)!, ExampleTokenizer.FromModel(bundle), names);
                DomainRecords.RequireEveryDomain(held, "--eval-data");
                names ??= held.Names;
                sizes.Add(DrPruningRunner.NonEmbedding(bundle.Model.Config));
                losses.Add(ReferenceLosses.Measure(bundle, held, r.GetValue(batch)));
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{dir}: N = {sizes[^1]:N0}; ") + string.Join(", ", names.Select((n, d) => string.Create(CultureInfo.InvariantCulture, $"{n} {losses[^1][d]:F4}"))));
            }
            var reference = ReferenceLosses.Predict(sizes, losses, targetN);
            var refObj = new JsonObject();
            for (int d = 0; d < names!.Count; d++) refObj[names[d]] = reference[d];
            var o = new JsonObject
            {
                ["reference_loss"] = refObj, ["target_non_embedding"] = targetN,
                ["models"] = new JsonArray(dirs.Select((m, i) => (JsonNode)new JsonObject
                {
                    ["model"] = m, ["non_embedding"] = sizes[i], ["losses"] = new JsonArray(losses[i].Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
                }).ToArray()),
                ["domains"] = new JsonArray(names.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
            };
            File.WriteAllText(r.GetValue(output)!, o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"reference losses at N = {targetN:N0}: ") + string.Join(", ", names.Select((n, d) => string.Create(CultureInfo.InvariantCulture, $"{n} {reference[d]:F4}"))));
            return 0;
        });
        return cmd;
    }
}
