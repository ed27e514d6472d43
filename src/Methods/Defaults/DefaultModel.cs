using System.Text.Json.Nodes;
using Engine.Methods.Testbed;
using Engine.Methods.Testbed.Experiments;
using Engine.Methods.Training;
using Engine.Models.Config;
using Engine.Models.Generation;
using Engine.Models.Tokenizers;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Methods.Defaults;

/// <summary>
/// The embedded default model: a small Qwen2-shaped model (~0.9M parameters) and a byte-level BPE tokenizer, both
/// made by the project from testbed text (the model fine-tuned for a few hundred steps on clean train-split
/// conversations, so it knows the answer format but has not mastered the tasks), built deterministically on first use into ENGINE_HOME (default ~/.cache/engine)
/// so a fresh clone runs without downloads. Any Hugging Face folder can be used instead with --model.
/// </summary>
public static class DefaultModel
{
    public const string Version = "default-v2";
    /// <summary>SFT steps on clean testbed conversations after initialisation: the model learns the format, not the tasks.</summary>
    public const int PretrainSteps = 300;
    public const string ChatMlTemplate =
        "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{%- endfor %}" +
        "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";
    public static readonly string[] SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    public static string Directory => Path.Combine(Paths.Home, Version);

    /// <summary>The folder of the default model, building it first if needed (atomic: a half-built folder is never used).</summary>
    public static string EnsureBuilt(Action<string>? log = null)
    {
        var dir = Directory;
        if (File.Exists(Path.Combine(dir, ".complete"))) return dir;
        log?.Invoke($"building the default model into {dir} (first use only)...");
        var tmp = dir + ".tmp-" + Environment.ProcessId;
        if (System.IO.Directory.Exists(tmp)) System.IO.Directory.Delete(tmp, true);
        Build(tmp);
        File.WriteAllText(Path.Combine(tmp, ".complete"), Version + "\n");
        try
        {
            if (System.IO.Directory.Exists(dir)) System.IO.Directory.Delete(dir, true);
            System.IO.Directory.Move(tmp, dir);
        }
        catch (IOException) when (File.Exists(Path.Combine(dir, ".complete")))
        {
            System.IO.Directory.Delete(tmp, true); // another process finished first; its copy is identical
        }
        log?.Invoke("default model ready.");
        return dir;
    }

    /// <summary>Text the tokenizer is trained on: testbed train-split conversations rendered as ChatML.</summary>
    public static IEnumerable<string> Corpus(int n = 3000, ulong seed = 7)
    {
        var records = TestbedGenerator.Generate(new TestbedOptions { N = n, MinDifficulty = 1, MaxDifficulty = 3, Seed = seed, Split = TestbedSplit.Train });
        var cot = TestbedGenerator.Generate(new TestbedOptions { N = n / 3, MinDifficulty = 1, MaxDifficulty = 2, Cot = true, Seed = seed + 1, Split = TestbedSplit.Train });
        foreach (var r in records.Concat(cot))
        {
            var user = string.IsNullOrEmpty(r.Input) ? r.Instruction : r.Instruction + "\n" + r.Input;
            yield return "<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n" + r.Output + "<|im_end|>\n";
        }
    }

    public static void Build(string dir)
    {
        System.IO.Directory.CreateDirectory(dir);
        var tokenizer = BpeTrainer.Train(Corpus(), vocabSize: 1024, SpecialTokens, ChatMlTemplate);
        tokenizer.Save(dir);
        var tok = HfTokenizer.Load(dir);
        int eos = tok.TokenToId("<|im_end|>") ?? throw new InvalidOperationException("default tokenizer lacks <|im_end|>");
        int pad = tok.TokenToId("<|endoftext|>") ?? eos;
        var cfg = ModelConfig.FromJson(new JsonObject
        {
            ["model_type"] = "qwen2", ["hidden_size"] = 128, ["intermediate_size"] = 352, ["num_hidden_layers"] = 4,
            ["num_attention_heads"] = 4, ["num_key_value_heads"] = 2, ["vocab_size"] = tok.VocabSize,
            ["max_position_embeddings"] = 1024, ["rope_theta"] = 10000.0, ["rms_norm_eps"] = 1e-6,
            ["tie_word_embeddings"] = true, ["initializer_range"] = 0.02,
        }) with { EosTokenIds = [eos], PadTokenId = pad };
        TransformerModel.CreateRandom(cfg, seed: 20261125).Save(dir);
        new GenerationConfig { EosTokenIds = [eos], PadTokenId = pad, MaxNewTokens = 64 }.Save(dir);
        // Teach the answer format on clean train-split conversations; the result replaces the random weights.
        var records = TestbedGenerator.Generate(new TestbedOptions { N = 4000, MinDifficulty = 1, MaxDifficulty = 2, Seed = 2026, Split = TestbedSplit.Train });
        var trained = dir + ".sft";
        TestbedExperiment.Sft(dir, records, trained, new TrainerOptions
        {
            LearningRate = 2e-3, Schedule = LrScheduleKind.Cosine, WarmupRatio = 0.05, MaxSteps = PretrainSteps, BatchSize = 16, MaxLength = 256, Seed = 1, LogSteps = 1_000_000,
        });
        foreach (var f in new[] { "model.safetensors", "config.json" }) File.Copy(Path.Combine(trained, f), Path.Combine(dir, f), overwrite: true);
        System.IO.Directory.Delete(trained, true);
    }
}
