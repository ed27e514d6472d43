using System.Text.Json.Nodes;
using Engine.Models.Pruning;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Tests.Models;

/// <summary>Export of a masked model as a smaller dense Hugging Face folder: same logits, the expected shape, a plain config.</summary>
public class DenseExportTests
{
    private static (double[] masked, TransformerModel model, StructuralMasks masks) Masked(string fixture, DType dtype)
    {
        var model = TransformerModel.Load(HookModels.PruningFixture(fixture), dtype: dtype);
        var masks = HookModels.FixtureMasks(fixture, dtype);
        model.Masks = masks;
        var (ids, mask, _) = HookModels.FixtureBatch(fixture);
        using var _ = Autograd.NoGrad();
        return (model.Forward(ids, mask).ToDoubleArray(), model, masks);
    }

    private static double[] Logits(TransformerModel model, string fixture)
    {
        var (ids, mask, _) = HookModels.FixtureBatch(fixture);
        using var _ = Autograd.NoGrad();
        return model.Forward(ids, mask).ToDoubleArray();
    }

    [Theory]
    [MemberData(nameof(StructuralMaskTests.Fixtures), MemberType = typeof(StructuralMaskTests))]
    public void ExportedFolderGivesTheMaskedModelsLogits(string fixture)
    {
        var (masked, model, masks) = Masked(fixture, DType.F32);
        var dir = Path.Combine(Path.GetTempPath(), "engine-dense-" + Guid.NewGuid().ToString("N"));
        var tok = Path.Combine(dir + "-tok");
        try
        {
            Directory.CreateDirectory(tok);
            File.WriteAllText(Path.Combine(tok, "tokenizer.json"), "{\"fake\": 1}");
            File.WriteAllText(Path.Combine(tok, "tokenizer_config.json"), "{\"fake\": 2}");
            var report = DenseExport.Export(model, masks, dir, new DenseExportOptions { TokenizerDir = tok });
            var dense = TransformerModel.Load(dir);
            double err = HookModels.MaxRelativeError(fixture, Logits(dense, fixture), other: masked);
            Assert.True(err <= 1e-4, $"dense vs masked logits differ by {err:E2}");

            // The shape the independent script expects, in a plain config.json.
            var expected = HookModels.Reference(fixture)["expected_dense"]!;
            var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
            foreach (var key in new[] { "hidden_size", "num_key_value_heads", "num_attention_heads", "intermediate_size" })
                Assert.Equal(expected[key]!.GetValue<int>(), cfg[key]!.GetValue<int>());
            var layers = expected["layers"]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
            Assert.Equal(layers.Length, cfg["num_hidden_layers"]!.GetValue<int>());
            Assert.Equal(layers, report.KeptLayers);
            Assert.Equal(model.Config.HeadDim, cfg["head_dim"]!.GetValue<int>());
            Assert.Equal(model.Config.ModelType, cfg["model_type"]!.GetValue<string>());
            Assert.Equal("float32", cfg["torch_dtype"]!.GetValue<string>());
            Assert.Equal(report.ParameterCount, dense.ParameterCount);
            Assert.True(dense.ParameterCount < model.ParameterCount);
            Assert.Equal("{\"fake\": 1}", File.ReadAllText(Path.Combine(dir, "tokenizer.json")));
            Assert.True(File.Exists(Path.Combine(dir, "tokenizer_config.json")));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
            if (Directory.Exists(tok)) Directory.Delete(tok, true);
        }
    }

    [Theory]
    [MemberData(nameof(StructuralMaskTests.Fixtures), MemberType = typeof(StructuralMaskTests))]
    public void DenseModelInF64IsTheMaskedModelToRounding(string fixture)
    {
        var (masked, model, masks) = Masked(fixture, DType.F64);
        var (dense, report) = DenseExport.ToDense(model, masks);
        double err = HookModels.MaxRelativeError(fixture, Logits(dense, fixture), other: masked);
        Assert.True(err <= 1e-10, $"dense vs masked logits differ by {err:E2}");
        // The padding the fixtures were built to need: qwen2_gqa pads a half-empty group and two emptied attentions.
        if (fixture == "qwen2_gqa") Assert.Equal(1 + 4 + 2, report.PaddedHeads);
    }

    [Fact]
    public void LlmShearingsDoubleHiddenScalingIsAnOptIn()
    {
        var (masked, model, masks) = Masked("qwen2_gqa", DType.F64);
        var (dense, _) = DenseExport.ToDense(model, masks, new DenseExportOptions { ReplicateLmHeadDoubleScaling = true });
        double err = HookModels.MaxRelativeError("qwen2_gqa", Logits(dense, "qwen2_gqa"), other: masked);
        Assert.True(err > 1e-3, $"the double scaling should move the logits (moved {err:E2})");
    }

    [Fact]
    public void NothingLeftIsAClearError()
    {
        var model = HookModels.Tiny(DType.F32);
        var e = Assert.Throws<InvalidOperationException>(() => DenseExport.ToDense(model, new StructuralMasks { Hidden = Tensor.Zeros([16]) }));
        Assert.Contains("hidden", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => DenseExport.ToDense(model,
            new StructuralMasks { AttentionLayers = Tensor.Zeros([2]), MlpLayers = Tensor.Zeros([2]) }));
        Assert.Contains("layer", e.Message);
    }
}
