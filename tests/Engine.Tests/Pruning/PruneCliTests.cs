using System.CommandLine;
using System.Text.Json.Nodes;
using Engine.Cli.Commands;
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Pruning.DRPruning;
using Engine.Models.Config;
using Engine.Models.Transformer;
using Engine.Tests.Training;

namespace Engine.Tests.Pruning;

/// <summary>`engine prune`: every option documented, and a run end to end from files (prune → dense export → CPT, resume skips finished stages).</summary>
public class PruneCliTests
{
    public static IEnumerable<object[]> Commands()
    {
        var prune = PruneCommand.Create();
        return [[prune], .. prune.Subcommands.Select(c => new object[] { c })];
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void EveryOptionIsDocumented(Command cmd)
    {
        Assert.False(string.IsNullOrWhiteSpace(cmd.Description));
        foreach (var o in cmd.Options) Assert.False(string.IsNullOrWhiteSpace(o.Description), $"{cmd.Name} {o.Name} has no description");
    }

    [Fact]
    public void VerbHasTheIssuesOptionsAndSubcommands()
    {
        var cmd = PruneCommand.Create();
        var names = cmd.Options.Select(o => o.Name).ToHashSet();
        foreach (var n in new[] { "--model", "--data", "--target-config", "--output", "--continue-steps", "--resume", "--controller", "--reference-loss",
                     "--proportions", "--steps", "--lag-lr", "--rho", "--save-steps", "--device" })
            Assert.Contains(n, names);
        Assert.Equal(["experiment", "reference"], cmd.Subcommands.Select(c => c.Name).Order());
        Assert.NotEmpty(cmd.Parse(["--model", "m"]).Errors);   // --data, --target-config and --output are required
    }

    private static int Run(Command cmd, params string[] args) => cmd.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });

    [Fact]
    public void PruneFromFilesWritesADenseModelAndResumeSkipsFinishedStages()
    {
        var dir = ToyTraining.TempDir();
        try
        {
            var model = Path.Combine(dir, "model");
            var texts = new[] { "alpha beta gamma delta", "one two three four five", "red green blue", "north south east west" };
            TestbedExperiment.MakeTinyModel(model, texts, new TestbedExperiment.TinyModelSize(Hidden: 16, Layers: 2, Heads: 4, KvHeads: 2, Intermediate: 24, Vocab: 300), 1);
            var lines = Enumerable.Range(0, 24).Select(i => new JsonObject { ["text"] = texts[i % 4] + " " + texts[(i + 1) % 4], ["domain"] = i % 4 == 3 ? "rare" : "common" }.ToJsonString());
            var data = Path.Combine(dir, "mix.jsonl");
            File.WriteAllLines(data, lines);
            var shape = Path.Combine(dir, "shape.json");
            File.WriteAllText(shape, "{\"hidden_size\": 12, \"num_attention_heads\": 2, \"intermediate_size\": 16}");
            var output = Path.Combine(dir, "out");
            string[] args = ["--model", model, "--data", data, "--target-config", shape, "--output", output, "--steps", "4", "--continue-steps", "2",
                "--batch-size", "2", "--grad-accum", "2", "--update-every", "2", "--save-steps", "2", "--lr", "1e-3", "--reference-loss", "common=3,rare=3"];
            Assert.Equal(0, Run(PruneCommand.Create(), args));

            var pruned = ModelConfig.Load(Path.Combine(output, "pruned"));
            Assert.Equal(new TargetShape(12, 2, 1, 2, 16), TargetShape.Of(pruned));
            Assert.Equal("qwen2", pruned.ModelType);
            Assert.True(File.Exists(Path.Combine(output, "pruned", "tokenizer.json")));
            Assert.True(File.Exists(Path.Combine(output, "prune", "metrics.jsonl")));
            Assert.True(File.Exists(Path.Combine(output, "prune", "checkpoint-4", "method_state", "domain_controller.json")));
            Assert.True(File.Exists(Path.Combine(output, "prune", "l0_masks.json")));
            var continued = TransformerModel.Load(Path.Combine(output, "continued"));
            Assert.Equal(pruned.HiddenSize, continued.Config.HiddenSize);
            var report = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "report.json")))!;
            Assert.Equal(["common", "rare"], report["domains"]!.AsArray().Select(d => d!.GetValue<string>()));
            Assert.True(report["pruned_non_embedding"]!.GetValue<long>() < report["source_non_embedding"]!.GetValue<long>());

            // --resume after completion: both stages are skipped, the models stay as they are.
            var stamp = File.GetLastWriteTimeUtc(Path.Combine(output, "continued", "model.safetensors"));
            Assert.Equal(0, Run(PruneCommand.Create(), [.. args, "--resume"]));
            Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(output, "continued", "model.safetensors")));
        }
        finally { Directory.Delete(dir, true); }
    }
}
