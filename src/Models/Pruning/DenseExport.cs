using System.Text.Json.Nodes;
using Engine.Models.Config;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Models.Pruning;

/// <summary>
/// A structurally masked model as a smaller dense Hugging Face model (LLM-Shearing's materialisation): masked-out
/// hidden dims, heads, KV heads, MLP units and layers are dropped, and the surviving mask values are folded into the
/// weights, so the dense model computes what the masked one does. Where each mask goes:
/// <list type="bullet">
/// <item>hidden z: embedding columns (E ⊙ z)[:, K]; both RMSNorm weights of every layer (w ⊙ z)[K]; the rows of o_proj
/// and down_proj (and their biases); the LM head's columns. The final norm keeps w[K] (z reaches the output once,
/// through the LM head, or through the tied embedding); see <see cref="DenseExportOptions.ReplicateLmHeadDoubleScaling"/>.</item>
/// <item>head (× KV head) z: o_proj's input columns of that head, so it also works for GQA where V is shared.</item>
/// <item>layer z: o_proj / down_proj rows and biases; intermediate z: up_proj rows and bias.</item>
/// </list>
/// The result is written as config.json (llama/qwen2/mistral/qwen3 as the source, head_dim explicit) + safetensors +
/// the tokenizer files, a folder transformers and <see cref="TransformerModel.Load"/> read unchanged.
/// </summary>
public static class DenseExport
{
    private static readonly string[] TokenizerFiles =
    [
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "vocab.json", "merges.txt",
        "tokenizer.model", "chat_template.jinja", "chat_template.json", "generation_config.json",
    ];

    /// <summary>Write the dense model of <paramref name="model"/> under <paramref name="masks"/> to <paramref name="dir"/>.</summary>
    public static DenseExportReport Export(TransformerModel model, StructuralMasks masks, string dir, DenseExportOptions? options = null)
    {
        options ??= new DenseExportOptions();
        var save = options.SaveDType ?? (model.DType is DType.BF16 or DType.F16 ? model.DType : DType.F32);
        if (save is not (DType.F32 or DType.BF16 or DType.F16)) throw new ArgumentException($"DenseExport writes F32, BF16 or F16 weights, not {save}.");
        var (dense, report) = ToDense(model, masks, options);
        dense.Save(dir, save);
        if (options.TokenizerDir is { } src)
        {
            if (!Directory.Exists(src)) throw new DirectoryNotFoundException($"Tokenizer folder {src} does not exist.");
            foreach (var f in TokenizerFiles)
                if (File.Exists(Path.Combine(src, f))) File.Copy(Path.Combine(src, f), Path.Combine(dir, f), overwrite: true);
        }
        return report;
    }

    /// <summary>The dense model in memory (f64 when the source is f64, else f32, on the CPU) and what it kept.</summary>
    public static (TransformerModel Model, DenseExportReport Report) ToDense(TransformerModel model, StructuralMasks masks, DenseExportOptions? options = null)
    {
        options ??= new DenseExportOptions();
        var plan = DensePlan.Make(model, masks);
        var cfg = model.Config;
        var dtype = model.DType == DType.F64 ? DType.F64 : DType.F32;
        int d = cfg.HeadDim, hOut = plan.KeptHidden.Length;
        var k = plan.KeptHidden;
        var zk = k.Select(i => plan.Hidden[i]).ToArray();
        var p = model.Parameters;
        var w = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        void Put(string name, double[] values, params int[] shape) => w[name] = Tensor.FromArray(values, shape).To(dtype);

        Put("model.embed_tokens.weight", WeightMatrix.Take(p["model.embed_tokens.weight"], All(cfg.VocabSize), k, colScale: zk), cfg.VocabSize, hOut);
        var finalNorm = WeightMatrix.Vector(p["model.norm.weight"], k);
        if (options.ReplicateLmHeadDoubleScaling) finalNorm = Mul(finalNorm, zk);
        Put("model.norm.weight", finalNorm, hOut);
        if (!cfg.TieWordEmbeddings)
            Put("lm_head.weight", WeightMatrix.Take(p["lm_head.weight"], All(cfg.VocabSize), k, colScale: zk), cfg.VocabSize, hOut);

        for (int li = 0; li < plan.Layers.Length; li++)
        {
            var layer = plan.Layers[li];
            int s = layer.Source;
            string src = $"model.layers.{s}.", dst = $"model.layers.{li}.";
            double za = plan.AttentionLayers[s], zm = plan.MlpLayers[s];
            Put(dst + "input_layernorm.weight", Mul(WeightMatrix.Vector(p[src + "input_layernorm.weight"], k), zk), hOut);
            Put(dst + "post_attention_layernorm.weight", Mul(WeightMatrix.Vector(p[src + "post_attention_layernorm.weight"], k), zk), hOut);

            var qRows = layer.Heads.SelectMany(h => Enumerable.Range(h.Head * d, d)).ToArray();
            var kvRows = layer.KvHeads.SelectMany(g => Enumerable.Range(g * d, d)).ToArray();
            foreach (var (name, rows) in new[] { ("q_proj", qRows), ("k_proj", kvRows), ("v_proj", kvRows) })
            {
                Put(dst + $"self_attn.{name}.weight", WeightMatrix.Take(p[src + $"self_attn.{name}.weight"], rows, k), rows.Length, hOut);
                if (p.TryGetValue(src + $"self_attn.{name}.bias", out var bias)) Put(dst + $"self_attn.{name}.bias", WeightMatrix.Vector(bias, rows), rows.Length);
            }
            var headScale = layer.Heads.SelectMany(h => Enumerable.Repeat(h.Real ? plan.Heads[s, h.Head] : 0.0, d)).ToArray();
            var outScale = zk.Select(z => z * za).ToArray();
            Put(dst + "self_attn.o_proj.weight", WeightMatrix.Take(p[src + "self_attn.o_proj.weight"], k, qRows, outScale, headScale), hOut, qRows.Length);
            if (p.TryGetValue(src + "self_attn.o_proj.bias", out var ob)) Put(dst + "self_attn.o_proj.bias", Mul(WeightMatrix.Vector(ob, k), outScale), hOut);
            if (p.TryGetValue(src + "self_attn.q_norm.weight", out var qn)) Put(dst + "self_attn.q_norm.weight", WeightMatrix.Vector(qn, All(d)), d);
            if (p.TryGetValue(src + "self_attn.k_norm.weight", out var kn)) Put(dst + "self_attn.k_norm.weight", WeightMatrix.Vector(kn, All(d)), d);

            var units = layer.Units.Select(u => u.Unit).ToArray();
            var upScale = layer.Units.Select(u => u.Real ? plan.Intermediate[s, u.Unit] : 0.0).ToArray();
            int n = units.Length;
            Put(dst + "mlp.gate_proj.weight", WeightMatrix.Take(p[src + "mlp.gate_proj.weight"], units, k), n, hOut);
            Put(dst + "mlp.up_proj.weight", WeightMatrix.Take(p[src + "mlp.up_proj.weight"], units, k, rowScale: upScale), n, hOut);
            var downScale = zk.Select(z => z * zm).ToArray();
            Put(dst + "mlp.down_proj.weight", WeightMatrix.Take(p[src + "mlp.down_proj.weight"], k, units, rowScale: downScale), hOut, n);
            if (p.TryGetValue(src + "mlp.gate_proj.bias", out var gb)) Put(dst + "mlp.gate_proj.bias", WeightMatrix.Vector(gb, units), n);
            if (p.TryGetValue(src + "mlp.up_proj.bias", out var ub)) Put(dst + "mlp.up_proj.bias", Mul(WeightMatrix.Vector(ub, units), upScale), n);
            if (p.TryGetValue(src + "mlp.down_proj.bias", out var db)) Put(dst + "mlp.down_proj.bias", Mul(WeightMatrix.Vector(db, k), downScale), hOut);
        }

        var denseCfg = cfg with
        {
            HiddenSize = hOut, NumLayers = plan.Layers.Length, IntermediateSize = plan.IntermediateSize,
            NumKvHeads = plan.KvHeads, NumHeads = plan.KvHeads * plan.HeadsPerKv, HeadDim = d,
            Raw = PerLayerKeys(cfg.Raw, plan.Layers.Select(l => l.Source).ToArray(), cfg.NumLayers),
        };
        var dense = TransformerModel.FromTensors(denseCfg, w);
        var report = new DenseExportReport(denseCfg, plan.Layers.Select(l => l.Source).ToArray(), k, plan.PaddedHeads, plan.PaddedUnits);
        return (dense, report);
    }

    /// <summary>config.json keys that list or count layers (transformers' layer_types, Qwen2's max_window_layers), kept consistent.</summary>
    private static JsonObject PerLayerKeys(JsonObject raw, int[] kept, int layers)
    {
        var o = JsonNode.Parse(raw.ToJsonString())!.AsObject();
        if (o["layer_types"] is JsonArray types && types.Count == layers)
            o["layer_types"] = new JsonArray(kept.Select(i => types[i]?.DeepClone()).ToArray());
        if (o["max_window_layers"] is JsonValue mw && mw.TryGetValue<int>(out var m)) o["max_window_layers"] = kept.Count(i => i < m);
        return o;
    }

    private static int[] All(int n) => Enumerable.Range(0, n).ToArray();

    private static double[] Mul(double[] a, double[] b) => a.Select((x, i) => x * b[i]).ToArray();
}
