using Engine.Models.Config;
using Engine.Models.Transformer;
using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Models;

public class TransformerTrainingTests
{
    private static ModelConfig Tiny(string type, bool tied) => ModelConfig.FromJson(new System.Text.Json.Nodes.JsonObject
    {
        ["model_type"] = type, ["hidden_size"] = 8, ["intermediate_size"] = 12, ["num_hidden_layers"] = 2,
        ["num_attention_heads"] = 4, ["num_key_value_heads"] = 2, ["vocab_size"] = 13, ["tie_word_embeddings"] = tied,
        ["rms_norm_eps"] = 1e-6, ["initializer_range"] = 0.5,
    });

    [Theory]
    [InlineData("qwen2", false)]
    [InlineData("qwen3", true)]
    public void WholeModelBackwardMatchesFiniteDifferences(string type, bool tied)
    {
        var model = TransformerModel.CreateRandom(Tiny(type, tied), seed: 3, dtype: DType.F64);
        // Perturb norms and biases away from 1 and 0 so their gradients are exercised too.
        foreach (var (name, p) in model.Parameters)
            if (!name.Contains("proj.weight") && !name.Contains("embed"))
            {
                var s = p.AsSpan<double>();
                var noise = Tensor.RandN(p.Shape, (ulong)name.Length, 0.2, DType.F64).ToDoubleArray();
                for (int i = 0; i < s.Length; i++) s[i] += noise[i];
            }
        model.RequireGrad();
        var ids = Tensor.FromArray(new long[] { 1, 5, 7, 2, 11, 3, 4, 12, 6, 9 }, 2, 5);
        var mask = Tensor.FromArray(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, 2, 5);
        var targets = Tensor.FromArray(new long[] { 5, 7, 2, 11, -100, 4, 12, -100, -100, -100 }, 2, 5);
        var checkedParams = model.Parameters.Where(kv => kv.Key.Contains("layers.1") || kv.Key.Contains("embed") || kv.Key == "model.norm.weight" || kv.Key.Contains("layers.0.self_attn"))
            .Select(kv => kv.Value).ToArray();
        GradCheck.Check(_ => Ops.CrossEntropy(model.Forward(ids, mask), targets).Reshape(1), checkedParams, maxPerInput: 6, rtol: 1e-5, atol: 1e-8);
    }

    [Fact]
    public void SaveThenLoadGivesTheSameLogits()
    {
        var model = TransformerModel.CreateRandom(Tiny("llama", false), seed: 5);
        var dir = Path.Combine(Path.GetTempPath(), "engine-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            model.Save(dir);
            var again = TransformerModel.Load(dir);
            var ids = Tensor.FromArray(new long[] { 1, 2, 3, 4, 5, 6 }, 1, 6);
            using var _ = Autograd.NoGrad();
            Assert.Equal(model.Forward(ids).ToArray<float>(), again.Forward(ids).ToArray<float>());
            Assert.Equal(model.ParameterCount, again.ParameterCount);
            Assert.Equal(model.Config.ParameterCount(), model.ParameterCount);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void UnknownArchitectureIsAClearError()
    {
        var e = Assert.Throws<NotSupportedException>(() => ModelConfig.FromJson(new System.Text.Json.Nodes.JsonObject
        {
            ["model_type"] = "gpt_neox", ["hidden_size"] = 8,
        }));
        Assert.Contains("gpt_neox", e.Message);
        Assert.Contains("llama", e.Message);
    }
}
