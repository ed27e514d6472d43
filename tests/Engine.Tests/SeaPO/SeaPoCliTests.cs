using System.CommandLine;
using System.Text.Json.Nodes;
using Engine.Cli.Commands;
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Synthesis.SeaPO;
using Engine.Models;

namespace Engine.Tests.SeaPO;

public class SeaPoCliTests
{
    private static int Run(Command cmd, params string[] args) => cmd.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });

    private static IEnumerable<Command> All(Command c) => c.Subcommands.SelectMany(All).Prepend(c);

    [Fact]
    public void EveryOptionIsDocumented()
    {
        foreach (var cmd in All(SeaPoCommand.Create()))
        {
            Assert.False(string.IsNullOrWhiteSpace(cmd.Description), cmd.Name);
            foreach (var o in cmd.Options) Assert.False(string.IsNullOrWhiteSpace(o.Description), $"{cmd.Name} {o.Name} has no description");
        }
        var inject = SeaPoCommand.Create().Subcommands.Single(c => c.Name == "inject");
        foreach (var n in new[] { "--model", "--input", "--output", "--types", "--mode", "--template", "--shard", "--resume", "--overwrite", "--skip-bad-records", "--teacher" })
            Assert.Contains(n, inject.Options.Select(o => o.Name));
    }

    [Fact]
    public void InjectThenKtoOnATinyModelFromTheCommandLine()
    {
        var dir = Path.Combine(Path.GetTempPath(), "engine-seapo-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            var records = TestbedGenerator.Generate(new TestbedOptions { Tasks = TaskRegistry.Parse("arith"), N = 8, Cot = true, Seed = 3 });
            var corpus = TestbedExperiment.ChatText(records).Concat(records.Select(r => SeaPoPrompts.Default.Build(SeaPoErrorType.Logic, r.Prompt, r.Output)));
            var init = TestbedExperiment.MakeTinyModel(Path.Combine(dir, "init"), corpus, new TestbedExperiment.TinyModelSize(Hidden: 32, Layers: 1, Intermediate: 64, Vocab: 300), seed: 1);
            // A few SFT steps on injection demonstrations (logic prompt → the testbed's logic corruption), so that the model
            // answers an injection prompt with text at all (an untrained one writes only newlines, which the Empty guard refuses).
            var model = Path.Combine(dir, "m");
            var teach = new TestbedOptions { Tasks = TaskRegistry.Parse("arith"), N = 64, Cot = true, Seed = 4 };
            var demos = TestbedGenerator.Generate(teach).Zip(TestbedGenerator.Generate(teach with { Noise = 1, NoiseKinds = [CorruptionKind.LogicError] }),
                (c, b) => c with { Instruction = SeaPoPrompts.Default.Build(SeaPoErrorType.Logic, c.Prompt, c.Output), Input = "", Output = b.Output }).ToList();
            TestbedExperiment.Sft(init, demos, model, new Engine.Methods.Training.TrainerOptions { LearningRate = 5e-3, BatchSize = 8, MaxSteps = 60, LogSteps = 1000 });
            var input = Path.Combine(dir, "clean.jsonl");
            TestbedWriter.Write(records, input, TestbedFormat.Chat, hideHidden: true);
            var kto = Path.Combine(dir, "kto.jsonl");

            // An untrained model writes noise, so the bounds are opened wide here: this checks the pipeline, not the guards.
            string[] args = ["inject", "--model", model, "--input", input, "--output", kto, "--types", "logic", "--mode", "targeted",
                "--max-new-tokens", "12", "--min-length-ratio", "0.01", "--max-length-ratio", "100", "--batch-size", "4"];
            Assert.Equal(0, Run(SeaPoCommand.Create(), args));
            var report = JsonNode.Parse(File.ReadAllText(SeaPoRunner.ReportPath(kto)))!;
            Assert.Equal(8, (int)report["records"]!);
            int rows = (int)report["kto_rows"]!;
            Assert.Equal(rows, File.ReadAllLines(kto).Length);
            Assert.True(rows > 0, "no negative was accepted");
            Assert.Equal(8, File.ReadAllLines(SeaPoRunner.InjectionsPath(kto)).Length);

            // Rerunning without --resume/--overwrite is refused; with --resume it does nothing and rewrites the same file.
            var before = File.ReadAllText(kto);
            Assert.ThrowsAny<Exception>(() => Run(SeaPoCommand.Create(), args));
            Assert.Equal(0, Run(SeaPoCommand.Create(), [.. args, "--resume"]));
            Assert.Equal(before, File.ReadAllText(kto));

            var trained = Path.Combine(dir, "kto-model");
            Assert.Equal(0, Run(KtoCommand.Create(), "--model", model, "--data", kto, "--output", trained, "--max-steps", "2", "--batch-size", "2", "--lr", "1e-3"));
            Assert.True(File.Exists(Path.Combine(trained, "model.safetensors")));
            Assert.NotNull(ModelBundle.Load(trained));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void TinyExperimentRunsEveryKindOfArm()
    {
        var dir = Path.Combine(Path.GetTempPath(), "engine-seapo-exp-" + Guid.NewGuid().ToString("N"));
        try
        {
            var o = new SeaPoExperimentOptions
            {
                Seeds = [1], BaseN = 40, TeachN = 24, KtoN = 8, BaseSteps = 3, BaseValidationN = 6, ArmSteps = 2, BatchSize = 4, EvalN = 6, MaxNewTokens = 16,
                Arms = ["none", "sft", "programmatic:mixed", "self:logic"],
                Size = new TestbedExperiment.TinyModelSize(Hidden: 32, Layers: 1, Intermediate: 64, Vocab: 300),
            };
            var r = SeaPoTestbedExperiment.Run(dir, o);
            // A 3-step base may inject nothing the guards accept; its self arm is then skipped, never a crash.
            Assert.Equal(["none", "sft", "programmatic:mixed"], r.Outcomes.Select(x => x.Arm).Take(3));
            Assert.All(r.Outcomes.Skip(3), x => Assert.Equal("self:logic", x.Arm));
            Assert.All(r.Outcomes, x => Assert.Equal(6, x.Errors.Count));
            // The programmatic negatives carry their intended error, every one of them (the classifier agrees with the testbed).
            Assert.All(r.Quality.Where(q => q.Source == "programmatic"), q => Assert.Equal(q.Negatives, q.Intended));
            var md = SeaPoExperimentReport.ToMarkdown(r);
            Assert.Contains("| programmatic:mixed |", md);
            // The base's band search (one 3-step chunk here, far below 60 %) is reported with the stage times.
            Assert.Contains("base trained [3 steps, validation", md);
            Assert.Contains("band not reached", md);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
