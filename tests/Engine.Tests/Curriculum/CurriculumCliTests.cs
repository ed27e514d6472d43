using System.CommandLine;
using System.Text.Json.Nodes;
using Engine.Cli.Commands;
using Engine.Methods.Curriculum.CCL;
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Training.Observability;

namespace Engine.Tests.Curriculum;

/// <summary>`engine commonit group`, `engine sft --sampler group` and `engine ccl` end to end on a tiny model.</summary>
public class CurriculumCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("curriculum-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static int Run(params string[] args)
    {
        var root = new RootCommand("test") { CommonItCommand.Create(), CclCommand.Create(), SftCommand.Create() };
        return root.Parse(args).Invoke();
    }

    public static IEnumerable<object[]> Commands()
    {
        var commonit = CommonItCommand.Create();
        var ccl = CclCommand.Create();
        return [[commonit.Subcommands.Single(c => c.Name == "group")], [commonit.Subcommands.Single(c => c.Name == "experiment")], [ccl],
                [ccl.Subcommands.Single(c => c.Name == "experiment")]];
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void EveryOptionIsDocumented(Command cmd)
    {
        Assert.False(string.IsNullOrWhiteSpace(cmd.Description));
        foreach (var o in cmd.Options) Assert.False(string.IsNullOrWhiteSpace(o.Description), $"{cmd.Name} {o.Name} has no description");
    }

    private (string Model, string Data) Setup(int n)
    {
        var records = TestbedGenerator.Generate(new TestbedOptions { Tasks = TaskRegistry.Parse("syllogism,list_ops,string_ops"), N = n, Seed = 4 });
        var data = Path.Combine(_dir, "data.jsonl");
        TestbedWriter.Write(records, data, TestbedFormat.Chat, hideHidden: true);
        var model = TestbedExperiment.MakeTinyModel(Path.Combine(_dir, "model"), TestbedExperiment.ChatText(records),
            new TestbedExperiment.TinyModelSize(Hidden: 32, Layers: 1, Intermediate: 64, Vocab: 300), seed: 1);
        return (model, data);
    }

    [Fact]
    public void GroupThenTrainOneGroupPerBatch()
    {
        var (model, data) = Setup(36);
        var grouped = Path.Combine(_dir, "grouped.jsonl");
        Assert.Equal(0, Run("commonit", "group", "--input", data, "--output", grouped, "--by", "task", "--min-group-size", "4"));
        var groups = File.ReadAllLines(grouped).Select(l => JsonNode.Parse(l)!["group"]!.GetValue<string>()).ToArray();
        Assert.Equal(["list_ops", "string_ops", "syllogism"], groups.Distinct().Order());
        Assert.Equal(0, Run("commonit", "group", "--input", data, "--output", Path.Combine(_dir, "by-length.jsonl"), "--by", "length", "--model", model,
            "--groups", "3", "--min-group-size", "4"));
        Assert.Equal(0, Run("sft", "--model", model, "--data", grouped, "--output", Path.Combine(_dir, "sft"), "--sampler", "group",
            "--batch-size", "4", "--max-steps", "3", "--lr", "1e-3"));
        Assert.True(File.Exists(Path.Combine(_dir, "sft", "metrics.jsonl")));
        // Ungrouped records cannot be trained by group: the run fails instead of putting them all in one "" group.
        Assert.NotEqual(0, Run("sft", "--model", model, "--data", data, "--output", Path.Combine(_dir, "sft2"), "--sampler", "group", "--max-steps", "1"));
        Assert.NotEqual(0, Run("commonit", "group", "--input", data, "--output", Path.Combine(_dir, "x.jsonl"), "--by", "task", "--field", "nope"));
    }

    [Fact]
    public void CclWritesItsEstimatesToTheMetricsAndTheLossCurve()
    {
        var (model, data) = Setup(40);
        var output = Path.Combine(_dir, "ccl");
        Assert.Equal(0, Run("ccl", "--model", model, "--data", data, "--output", output, "--batch-size", "4", "--epochs", "2", "--lr", "1e-3",
            "--log-steps", "1", "--valid-fraction", "0.2", "--alpha", "0.5", "--save-steps", "4"));
        var lines = File.ReadAllLines(Path.Combine(output, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).Where(o => o["type"]!.GetValue<string>() == "train").ToList();
        Assert.NotEmpty(lines);
        foreach (var key in new[] { CclTrainer.WeightMeanMetric, CclTrainer.WeightStdMetric, CclTrainer.KlMeanMetric, CclTrainer.KlStdMetric, CclTrainer.ProficiencyMetric, "kl", "consistency" })
            Assert.All(lines, l => Assert.True(l[key] is JsonValue, $"metrics line lacks {key}"));
        Assert.All(lines, l => Assert.InRange(l[CclTrainer.WeightMeanMetric]!.GetValue<double>(), 0, Math.E - 1));
        Assert.True(File.Exists(Path.Combine(output, "loss_curve.png")));
        Assert.Equal(lines.Count, LossCurvePlot.ReadTrainMetric(Path.Combine(output, "metrics.jsonl"), CclTrainer.WeightMeanMetric).Steps.Length);
        Assert.True(Directory.Exists(Path.Combine(output, "checkpoint-4", "method_state")));
    }
}
