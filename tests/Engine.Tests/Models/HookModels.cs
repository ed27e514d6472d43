using System.Text.Json.Nodes;
using Engine.Models.Config;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Tests.Models;

/// <summary>Tiny models, the pruning fixtures (tests/fixtures/pruning, make_masked_reference.py) and their masks, for the model-hook tests.</summary>
public static class HookModels
{
    /// <summary>A tiny GQA decoder (4 query heads over 2 KV heads, head_dim 4) with norms and biases moved off 1 and 0.</summary>
    public static TransformerModel Tiny(DType dtype = DType.F64, string type = "qwen2", bool tied = false, int layers = 2, ulong seed = 3, Device? device = null)
    {
        var cfg = ModelConfig.FromJson(new JsonObject
        {
            ["model_type"] = type, ["hidden_size"] = 16, ["intermediate_size"] = 20, ["num_hidden_layers"] = layers,
            ["num_attention_heads"] = 4, ["num_key_value_heads"] = 2, ["head_dim"] = 4, ["vocab_size"] = 23,
            ["tie_word_embeddings"] = tied, ["rms_norm_eps"] = 1e-6, ["initializer_range"] = 0.5,
        });
        var model = TransformerModel.CreateRandom(cfg, seed, dtype);
        using (Autograd.NoGrad())
            foreach (var (name, p) in model.Parameters)
                if (name.Contains("norm") || name.EndsWith(".bias"))
                {
                    var noise = Tensor.RandN(p.Shape, (ulong)name.Length * 7 + seed, 0.2, DType.F64);
                    Ops.Add(p.To(DType.F64), noise).To(p.DType).CopyTo(p);
                }
        return device is { IsCpu: false } d ? TransformerModel.FromTensors(cfg, model.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value), d) : model;
    }

    public static string PruningFixture(string name)
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !Directory.Exists(Path.Combine(dir, "tests", "fixtures"))) dir = Path.GetDirectoryName(dir);
        return Path.Combine(dir ?? throw new DirectoryNotFoundException("tests/fixtures not found above the test binary"), "tests", "fixtures", "pruning", name);
    }

    public static JsonNode Reference(string fixture) => JsonNode.Parse(File.ReadAllText(Path.Combine(PruningFixture(fixture), "reference.json")))!;

    /// <summary>masks.json of a pruning fixture as <see cref="StructuralMasks"/> in <paramref name="dtype"/>.</summary>
    public static StructuralMasks FixtureMasks(string fixture, DType dtype, Device? device = null)
    {
        var o = JsonNode.Parse(File.ReadAllText(Path.Combine(PruningFixture(fixture), "masks.json")))!.AsObject();
        Tensor? Read(string key)
        {
            if (o[key] is not JsonArray a) return null;
            bool matrix = a[0] is JsonArray;
            var values = matrix ? a.SelectMany(r => r!.AsArray().Select(v => v!.GetValue<double>())).ToArray() : a.Select(v => v!.GetValue<double>()).ToArray();
            var t = (matrix ? Tensor.FromArray(values, a.Count, a[0]!.AsArray().Count) : Tensor.FromArray(values, a.Count)).To(dtype);
            return device is { IsCpu: false } d ? t.To(d) : t;
        }
        return new StructuralMasks
        {
            Hidden = Read("hidden"), Heads = Read("heads"), KvHeads = Read("kv_heads"), Intermediate = Read("intermediate"),
            AttentionLayers = Read("attention_layers"), MlpLayers = Read("mlp_layers"),
        };
    }

    /// <summary>The fixture's padded batch: ids [B, T], key mask [B, T], lengths.</summary>
    public static (Tensor ids, Tensor mask, int[] lengths) FixtureBatch(string fixture, Device? device = null)
    {
        var r = Reference(fixture);
        var ids = r["input_ids"]!.AsArray().Select(row => row!.AsArray().Select(v => (long)v!.GetValue<int>()).ToArray()).ToArray();
        var lengths = r["lengths"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
        int b = ids.Length, t = ids[0].Length;
        var mask = new long[b * t];
        for (int i = 0; i < b; i++) for (int j = 0; j < lengths[i]; j++) mask[i * t + j] = 1;
        var dev = device ?? Device.Cpu;
        return (Tensor.FromArray(ids.SelectMany(x => x).ToArray(), b, t).To(dev), Tensor.FromArray(mask, b, t).To(dev), lengths);
    }

    /// <summary>max over real positions of max |logit − expected| / max |expected| (expected: reference.json's <paramref name="key"/>, or other logits).</summary>
    public static double MaxRelativeError(string fixture, double[] logits, string key = "logits", double[]? other = null)
    {
        var r = Reference(fixture);
        var lengths = r["lengths"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
        int t = r["input_ids"]![0]!.AsArray().Count, vocab = r[key]![0]![0]!.AsArray().Count;
        double worst = 0;
        for (int i = 0; i < lengths.Length; i++)
            for (int j = 0; j < lengths[i]; j++)
            {
                var expected = r[key]![i]![j]!.AsArray().Select(x => x!.GetValue<double>()).ToArray();
                double scale = expected.Max(Math.Abs);
                for (int k = 0; k < vocab; k++)
                {
                    int at = (i * t + j) * vocab + k;
                    if (double.IsNaN(logits[at])) return double.NaN;
                    worst = Math.Max(worst, Math.Abs(logits[at] - (other is null ? expected[k] : other[at])) / scale);
                }
            }
        return worst;
    }

    /// <summary>max |a − b| / max |b|.</summary>
    public static double RelDiff(double[] a, double[] b)
    {
        Assert.Equal(b.Length, a.Length);
        double scale = b.Max(Math.Abs), worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        return double.IsNaN(worst) ? double.NaN : worst / scale;
    }
}
