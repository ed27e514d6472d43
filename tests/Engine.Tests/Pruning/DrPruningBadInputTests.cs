using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Pruning.DRPruning;
using Engine.Models.Config;
using Engine.Tests.Training;

namespace Engine.Tests.Pruning;

/// <summary>Bad targets and bad mixtures fail with a clear error before any training (no checkpoint, no model written).</summary>
public class DrPruningBadInputTests
{
    private static readonly ModelConfig Gqa = ToyTraining.Config();   // hidden 16, 2 layers, 4 query heads over 2 KV heads, MLP 36

    [Theory]
    [InlineData("{\"hidden_size\": 20}", "\"hidden_size\" 20 is larger than the source model's 16")]
    [InlineData("{\"intermediate_size\": 40}", "\"intermediate_size\" 40 is larger")]
    [InlineData("{\"num_hidden_layers\": 3}", "\"num_hidden_layers\" 3 is larger")]
    [InlineData("{\"num_attention_heads\": 3}", "\"num_attention_heads\" 3 is not divisible by \"num_key_value_heads\" 2")]
    [InlineData("{\"num_attention_heads\": 4, \"num_key_value_heads\": 1}", "must be 2 × \"num_key_value_heads\" 1")]
    [InlineData("{\"hidden_size\": 0}", "\"hidden_size\" must be at least 1")]
    [InlineData("{\"head_dim\": 8, \"hidden_size\": 12}", "\"head_dim\" 8 differs")]
    [InlineData("{}", "equals the source")]
    [InlineData("{\"hidden_size\": \"big\"}", "\"hidden_size\" must be an integer")]
    public void BadTargetShapesAreRefused(string json, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => TargetShape.FromJson(JsonNode.Parse(json)!.AsObject(), Gqa, "shape.json"));
        Assert.Contains(message, e.Message);
        Assert.StartsWith("shape.json: ", e.Message);
    }

    [Fact]
    public void AbsentKeysKeepTheSourceAndKvHeadsFollowTheRatio()
    {
        var t = TargetShape.FromJson(JsonNode.Parse("{\"hidden_size\": 12, \"num_attention_heads\": 2}")!.AsObject(), Gqa);
        Assert.Equal(new TargetShape(12, 2, 1, 2, 36), t);
        var mha = Gqa with { NumKvHeads = 4 };
        var e = Assert.Throws<InvalidDataException>(() => TargetShape.FromJson(JsonNode.Parse("{\"num_attention_heads\": 2, \"num_key_value_heads\": 1}")!.AsObject(), mha));
        Assert.Contains("MHA", e.Message);
    }

    /// <summary>A tiny Hugging Face model folder (the test model with a character tokenizer is not needed: text records).</summary>
    private static (string Dir, string Model) Workspace()
    {
        var dir = ToyTraining.TempDir();
        var model = Path.Combine(dir, "model");
        Engine.Methods.Evaluation.Experiments.TestbedExperiment.MakeTinyModel(model, ["alpha beta gamma", "delta epsilon", "one two three"],
            new Engine.Methods.Evaluation.Experiments.TestbedExperiment.TinyModelSize(Hidden: 16, Layers: 2, Heads: 4, KvHeads: 2, Intermediate: 24, Vocab: 300), 1);
        return (dir, model);
    }

    private static string Write(string dir, string name, string text) { var p = Path.Combine(dir, name); File.WriteAllText(p, text); return p; }

    private static DrPruningOptions Options(string dir, string model, string data, string shape, string? eval = null) => new()
    {
        Model = model, Data = [data], EvalData = eval is null ? null : [eval], TargetConfig = shape, Output = Path.Combine(dir, "out"), Steps = 2, BatchSize = 2, GradientAccumulation = 1,
    };

    private const string Good = "{\"text\": \"alpha beta\", \"domain\": \"a\"}\n{\"text\": \"gamma delta\", \"domain\": \"a\"}\n{\"text\": \"one two\", \"domain\": \"b\"}\n{\"text\": \"two three\", \"domain\": \"b\"}\n";

    private static void AssertNothingTrained(string dir) => Assert.False(Directory.Exists(Path.Combine(dir, "out", "prune")), "no training may start on bad input");

    [Fact]
    public void BadInputFailsBeforeAnyTraining()
    {
        var (dir, model) = Workspace();
        try
        {
            var shape = Write(dir, "shape.json", "{\"hidden_size\": 12, \"intermediate_size\": 16}");
            var data = Write(dir, "mix.jsonl", Good);

            // A target larger than the source.
            var big = Write(dir, "big.json", "{\"intermediate_size\": 64}");
            var e1 = Assert.Throws<InvalidDataException>(() => DrPruningRunner.Run(Options(dir, model, data, big)));
            Assert.Contains("big.json", e1.Message); Assert.Contains("larger than the source", e1.Message);
            AssertNothingTrained(dir);

            // Heads that do not divide as GQA needs.
            var heads = Write(dir, "heads.json", "{\"num_attention_heads\": 3}");
            Assert.Contains("not divisible", Assert.Throws<InvalidDataException>(() => DrPruningRunner.Run(Options(dir, model, data, heads))).Message);
            AssertNothingTrained(dir);

            // A domain with no records: named by the proportions, missing from the held-out data, a record without a domain.
            var e3 = Assert.Throws<ArgumentException>(() => DrPruningRunner.Run(Options(dir, model, data, shape) with
            { Proportions = new Dictionary<string, double> { ["a"] = 0.5, ["b"] = 0.3, ["code"] = 0.2 } }));
            Assert.Contains("'code'", e3.Message); Assert.Contains("no records", e3.Message);
            AssertNothingTrained(dir);
            var evalOnlyA = Write(dir, "eval.jsonl", "{\"text\": \"alpha gamma\", \"domain\": \"a\"}\n");
            var e4 = Assert.Throws<InvalidDataException>(() => DrPruningRunner.Run(Options(dir, model, data, shape, evalOnlyA)));
            Assert.Contains("Domain 'b' has no records in the held-out data", e4.Message);
            AssertNothingTrained(dir);
            var noDomain = Write(dir, "nodomain.jsonl", Good + "{\"text\": \"stray line\"}\n");
            var e5 = Assert.Throws<RecordFormatException>(() => DrPruningRunner.Run(Options(dir, model, noDomain, shape)));
            Assert.Contains("nodomain.jsonl:5", e5.Message); Assert.Contains("\"domain\"", e5.Message);
            AssertNothingTrained(dir);
            var unknownEval = Write(dir, "eval2.jsonl", "{\"text\": \"alpha\", \"domain\": \"a\"}\n{\"text\": \"one\", \"domain\": \"b\"}\n{\"text\": \"x y\", \"domain\": \"c\"}\n");
            Assert.Contains("eval2.jsonl:3", Assert.Throws<RecordFormatException>(() => DrPruningRunner.Run(Options(dir, model, data, shape, unknownEval))).Message);
            AssertNothingTrained(dir);
            // Sheared-style loading without target losses.
            var e6 = Assert.Throws<ArgumentException>(() => DrPruningRunner.Run(Options(dir, model, data, shape) with
            { Controller = new DomainControllerOptions { Controller = MixtureController.Sheared } }));
            Assert.Contains("reference", e6.Message);
            AssertNothingTrained(dir);
        }
        finally { Directory.Delete(dir, true); }
    }
}
