using System.Text.Json.Nodes;
using Engine.Cli.Commands;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Evaluation.Experiments;
using Engine.Runtime;

namespace Engine.Tests.MixedPrecision;

/// <summary>--precision on the trainers and --dtype on the inference verbs, end to end in process.</summary>
public class PrecisionCliTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "engine-prec-" + Guid.NewGuid().ToString("N"));
    private readonly string _model;

    public PrecisionCliTests()
    {
        var records = TestbedGenerator.Generate(new TestbedOptions { N = 100, Seed = 3 });
        _model = TestbedExperiment.MakeTinyModel(Path.Combine(_root, "m"), TestbedExperiment.ChatText(records),
            new TestbedExperiment.TinyModelSize(Hidden: 32, Layers: 1, Intermediate: 64, Vocab: 300), seed: 4);
    }

    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    private static int Run(System.CommandLine.Command cmd, params string[] args) =>
        cmd.Parse(args).Invoke(new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false });

    [Fact]
    public void PrecisionAndDTypeOptionsAreDocumentedEverywhere()
    {
        foreach (var cmd in new[] { SftCommand.Create(), DpoCommand.Create(), KtoCommand.Create() })
        {
            var o = cmd.Options.Single(x => x.Name == "--precision");
            Assert.Contains("bf16", o.Description);
            Assert.Contains("f32", o.Description);
        }
        foreach (var cmd in new[] { ScoreCommand.Create(), GenerateCommand.Create(), ChatCommand.Create() })
            Assert.Contains("bf16", cmd.Options.Single(x => x.Name == "--dtype").Description);
    }

    [Fact]
    public void AutoMeansBf16OnCudaAndF32OnTheCpu()
    {
        Assert.Equal(ComputePrecision.F32, ComputePrecisions.Parse("auto", Device.Cpu));
        Assert.Equal(ComputePrecision.BF16, ComputePrecisions.Parse("auto", Device.Cuda(0)));
        Assert.Equal(ComputePrecision.BF16, ComputePrecisions.Parse("bfloat16", Device.Cpu));
        Assert.Equal(ComputePrecision.F32, ComputePrecisions.Parse("fp32", Device.Cuda(1)));
        Assert.Throws<ArgumentException>(() => ComputePrecisions.Parse("fp8", Device.Cpu));
    }

    [Fact]
    public void SftInBf16KeepsF32MastersAndScoreInBf16TracksF32()
    {
        var data = Path.Combine(_root, "train.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 8).Select(i => $$"""{"instruction": "add {{i}} and {{i + 1}}", "output": "{{2 * i + 1}}"}"""));
        var outDir = Path.Combine(_root, "sft");
        Assert.Equal(0, Run(SftCommand.Create(), "--model", _model, "--data", data, "--output", outDir, "--max-steps", "3", "--batch-size", "4",
            "--lr", "1e-3", "--precision", "bf16", "--log-steps", "1"));
        var state = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "trainer_state.json")))!;
        Assert.Equal("BF16", state["options"]!["Precision"]!.GetValue<string>());
        Assert.Equal("float32", JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "config.json")))!["torch_dtype"]!.GetValue<string>());

        var input = Path.Combine(_root, "in.jsonl");
        File.WriteAllLines(input, ["""{"text": "Calculate. 12 + 46 = 58"}""", """{"text": "add 3 and 4"}"""]);
        double[] Score(string dtype)
        {
            var o = Path.Combine(_root, $"score-{dtype}.jsonl");
            Assert.Equal(0, Run(ScoreCommand.Create(), "--model", outDir, "--input", input, "--output", o, "--dtype", dtype));
            return File.ReadAllLines(o).SelectMany(l => JsonNode.Parse(l)!["token_logprobs"]!.AsArray().Select(v => v!.GetValue<double>())).ToArray();
        }
        var f32 = Score("f32"); var bf16 = Score("bf16");
        Assert.Equal(f32.Length, bf16.Length);
        double worst = f32.Zip(bf16).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst < 0.05, $"bf16 token log-probs differ from f32 by up to {worst}");
        Assert.True(worst > 0, "bf16 scoring should not be the f32 computation");
        Assert.Equal(f32, Score("auto"));                                   // auto on the cpu is f32
    }

    [Fact]
    public void LoraInBf16HoldsTheFrozenBaseInBf16AndTheAdaptersInF32()
    {
        var data = Path.Combine(_root, "lora.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 4).Select(i => $$"""{"prompt": "twice {{i}}", "completion": " {{2 * i}}"}"""));
        (Engine.Models.ModelBundle, Engine.Methods.Training.TrainableModel) Load(params string[] args)
        {
            var o = new Engine.Cli.Infrastructure.TrainingCliOptions();
            var cmd = new System.CommandLine.Command("t");
            o.AddTo(cmd);
            return o.LoadModel(cmd.Parse(["--model", _model, "--data", data, "--output", Path.Combine(_root, "o"), .. args]));
        }
        var (bundle, trainable) = Load("--lora", "--precision", "bf16");
        Assert.Equal(DType.BF16, bundle.Model.DType);
        Assert.All(bundle.Model.Parameters.Values, t => Assert.Equal(DType.BF16, t.DType));
        Assert.All(trainable.Trainable, kv => Assert.Equal(DType.F32, kv.Value.DType));
        Assert.Equal(DType.F32, Load("--lora").Item1.Model.DType);                 // f32 on the cpu: an f32 base
        var (fullBundle, full) = Load("--precision", "bf16");
        Assert.Equal(DType.F32, fullBundle.Model.DType);                          // full fine-tuning: the model is the f32 masters

        // End to end: adapters trained over the bf16 base, merged into it and written as a bf16 HF folder that loads.
        var outDir = Path.Combine(_root, "lora-run");
        Assert.Equal(0, Run(SftCommand.Create(), "--model", _model, "--data", data, "--output", outDir, "--lora", "--lora-targets", "all-linear",
            "--precision", "bf16", "--max-steps", "2", "--batch-size", "2", "--lr", "1e-2"));
        Assert.Equal("bfloat16", JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "config.json")))!["torch_dtype"]!.GetValue<string>());
        var merged = Engine.Models.ModelBundle.Load(outDir, dtype: DType.F32).Model;
        var original = Engine.Models.ModelBundle.Load(_model, dtype: DType.BF16).Model;
        Assert.Contains(merged.Parameters, kv => !kv.Value.ToDoubleArray().SequenceEqual(original.Parameters[kv.Key].ToDoubleArray()));
        Assert.All(full.Trainable, kv => Assert.Equal(DType.F32, kv.Value.DType));
    }
}
