using Engine.Models.Config;
using Engine.Runtime;

namespace Engine.Models.Checkpoints.Gguf;

/// <summary>
/// Writes a Hugging Face Qwen2 checkpoint folder as an f32 GGUF file that llama.cpp loads (architecture "qwen2"),
/// with the same weights, so the two runtimes can be compared on identical models. No tokenizer is embedded
/// (<c>tokenizer.ggml.model = "none"</c> plus the vocabulary size): callers feed token ids, not text.
/// </summary>
/// <remarks>Qwen2 in llama.cpp uses the rotate-half ("NeoX") RoPE that transformers uses, so q/k weights are copied as
/// they are; Llama checkpoints would need their q/k rows permuted to llama.cpp's interleaved RoPE and are refused.</remarks>
public static class GgufExport
{
    public static void FromCheckpoint(string modelDir, string ggufPath)
    {
        var cfg = ModelConfig.Load(Path.Combine(modelDir, "config.json"));
        if (cfg.ModelType != "qwen2")
            throw new NotSupportedException($"{modelDir}/config.json: model_type '{cfg.ModelType}'; GGUF export supports qwen2 only.");
        if (cfg.RopeScaling != null || cfg.UseSlidingWindow)
            throw new NotSupportedException($"{modelDir}/config.json: rope_scaling / sliding window are not exported to GGUF.");
        using var ckpt = CheckpointFolder.Open(modelDir);
        var g = new GgufWriter();
        const string a = "qwen2";
        g.Add("general.architecture", a);
        g.Add("general.name", Path.GetFileName(Path.GetFullPath(modelDir).TrimEnd('/')));
        g.Add($"{a}.context_length", (uint)cfg.MaxPositionEmbeddings);
        g.Add($"{a}.embedding_length", (uint)cfg.HiddenSize);
        g.Add($"{a}.block_count", (uint)cfg.NumLayers);
        g.Add($"{a}.feed_forward_length", (uint)cfg.IntermediateSize);
        g.Add($"{a}.attention.head_count", (uint)cfg.NumHeads);
        g.Add($"{a}.attention.head_count_kv", (uint)cfg.NumKvHeads);
        g.Add($"{a}.attention.key_length", (uint)cfg.HeadDim);
        g.Add($"{a}.attention.value_length", (uint)cfg.HeadDim);
        g.Add($"{a}.rope.freq_base", (float)cfg.RopeTheta);
        g.Add($"{a}.attention.layer_norm_rms_epsilon", (float)cfg.RmsNormEps);
        g.Add($"{a}.vocab_size", (uint)cfg.VocabSize);
        g.Add("tokenizer.ggml.model", "none");

        void Tensor(string gguf, string hf)
        {
            if (!ckpt.Contains(hf)) throw new InvalidDataException($"{modelDir}: tensor '{hf}' missing (needed for GGUF '{gguf}').");
            var shape = ckpt.Entry(hf).Shape.Select(d => (long)d).ToArray();
            g.AddTensor(gguf, shape, () => ckpt.Load(hf, DType.F32).ToFloatArray());
        }

        Tensor("token_embd.weight", "model.embed_tokens.weight");
        for (int i = 0; i < cfg.NumLayers; i++)
        {
            string h = $"model.layers.{i}.", b = $"blk.{i}.";
            Tensor(b + "attn_norm.weight", h + "input_layernorm.weight");
            foreach (var p in new[] { "q", "k", "v" })
            {
                Tensor($"{b}attn_{p}.weight", $"{h}self_attn.{p}_proj.weight");
                Tensor($"{b}attn_{p}.bias", $"{h}self_attn.{p}_proj.bias");
            }
            Tensor(b + "attn_output.weight", h + "self_attn.o_proj.weight");
            Tensor(b + "ffn_norm.weight", h + "post_attention_layernorm.weight");
            Tensor(b + "ffn_gate.weight", h + "mlp.gate_proj.weight");
            Tensor(b + "ffn_up.weight", h + "mlp.up_proj.weight");
            Tensor(b + "ffn_down.weight", h + "mlp.down_proj.weight");
        }
        Tensor("output_norm.weight", "model.norm.weight");
        Tensor("output.weight", cfg.TieWordEmbeddings && !ckpt.Contains("lm_head.weight") ? "model.embed_tokens.weight" : "lm_head.weight");
        g.Write(ggufPath);
    }
}
