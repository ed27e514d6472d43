using System.CommandLine;
using Engine.Models.Config;
using Engine.Models.Generation;
using Engine.Models.Tokenizers;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Cli.Commands;

/// <summary>`engine init-model`: a random-initialised model in the Hugging Face format.</summary>
public static class InitModelCommand
{
    public static Command Create()
    {
        var arch = new Option<string>("--arch") { Description = "model_type: llama, qwen2, mistral or qwen3.", DefaultValueFactory = _ => "qwen2" };
        var hidden = new Option<int>("--hidden") { Description = "hidden_size.", DefaultValueFactory = _ => 256 };
        var layers = new Option<int>("--layers") { Description = "num_hidden_layers.", DefaultValueFactory = _ => 4 };
        var heads = new Option<int>("--heads") { Description = "num_attention_heads.", DefaultValueFactory = _ => 4 };
        var kvHeads = new Option<int?>("--kv-heads") { Description = "num_key_value_heads (default: heads/2 when even, else heads)." };
        var inter = new Option<int?>("--intermediate") { Description = "intermediate_size (default: about 8/3·hidden, a multiple of 32)." };
        var headDim = new Option<int?>("--head-dim") { Description = "head_dim (default hidden/heads)." };
        var vocab = new Option<int?>("--vocab") { Description = "vocab_size (default: the tokenizer's size)." };
        var tied = new Option<bool>("--tie-embeddings") { Description = "Share the input embedding and the output projection." };
        var theta = new Option<double>("--rope-theta") { Description = "RoPE base.", DefaultValueFactory = _ => 10000 };
        var maxPos = new Option<int>("--max-positions") { Description = "max_position_embeddings.", DefaultValueFactory = _ => 2048 };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Folder or tokenizer.json to copy into the model (sets vocab and special ids)." };
        var seed = new Option<ulong>("--seed") { Description = "Initialisation seed.", DefaultValueFactory = _ => 0 };
        var dtype = new Option<string>("--dtype") { Description = "Saved dtype: float32 or bfloat16.", DefaultValueFactory = _ => "float32" };
        var output = new Option<string>("--out") { Description = "Output folder.", Required = true };
        var cmd = new Command("init-model", "Write a random-initialised Llama-family model (config.json, model.safetensors, tokenizer) in the Hugging Face format.")
        { arch, hidden, layers, heads, kvHeads, inter, headDim, vocab, tied, theta, maxPos, tokenizer, seed, dtype, output };
        cmd.SetAction(r =>
        {
            HfTokenizer? tok = r.GetValue(tokenizer) is { } tp ? HfTokenizer.Load(tp) : null;
            int h = r.GetValue(hidden), nh = r.GetValue(heads);
            int v = r.GetValue(vocab) ?? tok?.VocabSize ?? throw new ArgumentException("Give --vocab or --tokenizer.");
            if (tok is not null && tok.VocabSize > v) throw new ArgumentException($"--vocab {v} is smaller than the tokenizer ({tok.VocabSize}).");
            int kv = r.GetValue(kvHeads) ?? (nh % 2 == 0 ? nh / 2 : nh);
            var eos = tok?.EosTokenId is { } e ? new[] { e } : [];
            var cfg = ModelConfig.FromJson(new System.Text.Json.Nodes.JsonObject
            {
                ["model_type"] = r.GetValue(arch),
                ["hidden_size"] = h,
                ["intermediate_size"] = r.GetValue(inter) ?? Math.Max(32, (h * 8 / 3 + 31) / 32 * 32),
                ["num_hidden_layers"] = r.GetValue(layers),
                ["num_attention_heads"] = nh,
                ["num_key_value_heads"] = kv,
                ["head_dim"] = r.GetValue(headDim) ?? h / nh,
                ["vocab_size"] = v,
                ["rope_theta"] = r.GetValue(theta),
                ["max_position_embeddings"] = r.GetValue(maxPos),
                ["tie_word_embeddings"] = r.GetValue(tied),
                ["rms_norm_eps"] = 1e-6,
            }) with { EosTokenIds = eos, BosTokenId = tok?.BosTokenId, PadTokenId = tok?.PadTokenId };
            var model = TransformerModel.CreateRandom(cfg, r.GetValue(seed));
            var dir = r.GetValue(output)!;
            var saveType = r.GetValue(dtype) is "bfloat16" or "bf16" ? DType.BF16 : DType.F32;
            model.Save(dir, saveType);
            tok?.Save(dir);
            new GenerationConfig { EosTokenIds = eos, BosTokenId = tok?.BosTokenId, PadTokenId = tok?.PadTokenId }.Save(dir);
            Console.WriteLine($"wrote {cfg.ModelType} model ({model.ParameterCount:N0} parameters) to {dir}");
            return 0;
        });
        return cmd;
    }
}
