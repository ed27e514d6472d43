using System.Text.Json.Nodes;
using Engine.Methods.Pruning.DRPruning;
using Engine.Models.Pruning;
using Engine.Models.Transformer;
using Engine.Runtime;
using Engine.Tests.Models;

namespace Engine.Tests.Pruning;

/// <summary>
/// The L0 module's deterministic masks and the dense model they export, against
/// tests/fixtures/pruning/make_l0_export_reference.py (an independent float64 PyTorch masking, forward and materialisation).
/// </summary>
public class DrPruningExportTests
{
    public static IEnumerable<object[]> Fixtures() => [["qwen2_gqa"], ["llama_tied_bias"]];

    private static JsonNode L0Reference(string fixture) => JsonNode.Parse(File.ReadAllText(Path.Combine(HookModels.PruningFixture(fixture), "l0_reference.json")))!;

    private static double[] Values(JsonNode? n) => n is JsonArray a && a.Count > 0 && a[0] is JsonArray
        ? a.SelectMany(r => r!.AsArray().Select(v => v!.GetValue<double>())).ToArray()
        : n!.AsArray().Select(v => v!.GetValue<double>()).ToArray();

    /// <summary>The fixture model and an L0 module toward the script's target whose log α are the script's.</summary>
    private static (TransformerModel Model, L0Module L0, JsonNode Ref) Load(string fixture)
    {
        var r = L0Reference(fixture);
        var model = TransformerModel.Load(HookModels.PruningFixture(fixture));
        var t = r["target"]!;
        var shape = new TargetShape(t["hidden_size"]!.GetValue<int>(), t["num_attention_heads"]!.GetValue<int>(), t["num_key_value_heads"]!.GetValue<int>(),
            t["num_hidden_layers"]!.GetValue<int>(), t["intermediate_size"]!.GetValue<int>());
        var l0 = new L0Module(model.Config, shape, seed: 1, warmupSteps: 0);
        using (Autograd.NoGrad())
            foreach (var m in l0.Masks)
                Tensor.FromArray(Values(r["log_alpha"]![m.Name]).Select(v => (float)v).ToArray(), m.LogAlpha.ShapeArray()).CopyTo(m.LogAlpha);
        return (model, l0, r);
    }

    private static double[] Logits(TransformerModel model, string fixture)
    {
        var (ids, mask, _) = HookModels.FixtureBatch(fixture);
        using var _ = Autograd.NoGrad();
        return model.Forward(ids, mask).ToDoubleArray();
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void ExportMasksAreTheReferenceMasks(string fixture)
    {
        var (_, l0, r) = Load(fixture);
        Assert.Equal(r["gates_kv_groups"]!.GetValue<bool>(), l0.GatesKvGroups);
        var z = l0.Deterministic(exactTargets: true);
        var heads = l0.GatesKvGroups ? z.KvHeads : z.Heads;
        foreach (var (name, t) in new[] { ("hidden", z.Hidden!), ("head", heads!), ("intermediate", z.Intermediate!), ("layer", z.MlpLayers!) })
        {
            var want = Values(r["masks"]![name]); var got = t.ToDoubleArray();
            Assert.Equal(want.Length, got.Length);
            for (int i = 0; i < want.Length; i++)
            {
                Assert.Equal(want[i] == 0, got[i] == 0);        // the same units pruned
                Assert.True(Math.Abs(want[i] - got[i]) <= 1e-6, $"{name}[{i}]: {got[i]} vs reference {want[i]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void MaskedModelAndItsDenseExportGiveTheReferenceLogits(string fixture)
    {
        var (model, l0, r) = Load(fixture);
        var masks = l0.Deterministic(exactTargets: true);
        model.Masks = masks;
        var masked = Logits(model, fixture);
        double err = HookModels.MaxRelativeError(fixture, masked, other: ReferenceLogits(r));
        Assert.True(err <= 1e-5, $"masked model vs reference: {err:E2}");

        var dir = Path.Combine(Path.GetTempPath(), "engine-drp-export-" + Guid.NewGuid().ToString("N"));
        try
        {
            model.Masks = null;
            var report = DenseExport.Export(model, masks, dir);
            var dense = TransformerModel.Load(dir);
            double derr = HookModels.MaxRelativeError(fixture, Logits(dense, fixture), other: masked);
            Assert.True(derr <= 1e-5, $"dense export vs masked model: {derr:E2}");
            double rerr = HookModels.MaxRelativeError(fixture, Logits(dense, fixture), other: ReferenceLogits(r));
            Assert.True(rerr <= 1e-5, $"dense export vs reference: {rerr:E2}");
            // Exactly the target shape, no padding, the layers the reference keeps, a plain config.
            var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
            foreach (var key in new[] { "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size" })
                Assert.Equal(r["dense"]![key]!.GetValue<int>(), cfg[key]!.GetValue<int>());
            Assert.Equal(r["kept_layers"]!.AsArray().Select(v => v!.GetValue<int>()), report.KeptLayers);
            Assert.Equal(0, report.PaddedHeads + report.PaddedUnits);
            Assert.Equal(model.Config.ModelType, cfg["model_type"]!.GetValue<string>());
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    /// <summary>reference.json-shaped logits from l0_reference.json, flattened over the padded batch like the model's output.</summary>
    private static double[] ReferenceLogits(JsonNode r)
    {
        var rows = r["logits"]!.AsArray();
        int vocab = rows[0]![0]!.AsArray().Count, t = rows.Max(x => x!.AsArray().Count);
        var flat = new double[rows.Count * t * vocab];
        for (int b = 0; b < rows.Count; b++)
            for (int j = 0; j < rows[b]!.AsArray().Count; j++)
                for (int v = 0; v < vocab; v++) flat[(b * t + j) * vocab + v] = rows[b]![j]![v]!.GetValue<double>();
        return flat;
    }
}
