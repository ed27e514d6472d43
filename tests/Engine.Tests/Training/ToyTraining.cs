using System.Text.Json.Nodes;
using Engine.Methods.Training;
using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Models.Config;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Tests.Training;

/// <summary>Tiny random models and character-level toy data for trainer tests.</summary>
public static class ToyTraining
{
    public const string Alphabet = "_abcdefghijklmnopqrstuvwxyz.";   // id 0 '_' doubles as padding

    public static ModelConfig Config(int vocab = 28, int hidden = 16, int layers = 2) => ModelConfig.FromJson(new JsonObject
    {
        ["model_type"] = "qwen2", ["hidden_size"] = hidden, ["intermediate_size"] = 2 * hidden + 4, ["num_hidden_layers"] = layers,
        ["num_attention_heads"] = 4, ["num_key_value_heads"] = 2, ["vocab_size"] = vocab, ["rms_norm_eps"] = 1e-6,
        ["initializer_range"] = 0.1, ["max_position_embeddings"] = 64,
    });

    public static TransformerModel Model(ulong seed = 1) => TransformerModel.CreateRandom(Config(), seed);

    public static int[] Ids(string s) => s.Select(c => Alphabet.IndexOf(c) is var i and >= 0 ? i : throw new ArgumentException($"'{c}' not in the toy alphabet")).ToArray();

    /// <summary>prompt + completion with loss on the completion only.</summary>
    public static SftExample Sft(string prompt, string completion, double weight = 1, string? group = null)
    {
        var p = Ids(prompt); var c = Ids(completion);
        return new SftExample([.. p, .. c], [.. Enumerable.Repeat(LabelMask.Ignore, p.Length), .. c], weight, group);
    }

    public static readonly string[] Words = ["cat", "dog", "sun", "map", "pen", "cup", "box", "hat", "owl", "fig", "jam", "kit"];

    /// <summary>"reverse" task: prompt "xyz." → completion "zyx."</summary>
    public static List<SftExample> ReverseTask(int n, int offset = 0) =>
        Enumerable.Range(offset, n).Select(i => { var w = Words[i % Words.Length]; return Sft(w + ".", new string(w.Reverse().ToArray()) + "."); }).ToList();

    /// <summary>An observer that runs <paramref name="onStepEnd"/> after every optimizer step (tests stop runs with it).</summary>
    public sealed class StepHook(Action<StepMetrics> onStepEnd) : ITrainerCallback
    {
        public void OnStepEnd(StepMetrics metrics) => onStepEnd(metrics);
    }

    /// <summary>An observer that runs <paramref name="onMicroBatch"/> after every micro-batch's backward.</summary>
    public sealed class MicroBatchHook(Action<TrainingStepContext> onMicroBatch) : ITrainerCallback
    {
        public void OnMicroBatch(TrainingStepContext ctx) => onMicroBatch(ctx);
    }

    public static float[][] Snapshot(TrainableModel m) => m.Trainable.Select(kv => kv.Value.ToArray<float>()).ToArray();

    public static string TempDir() => Path.Combine(Path.GetTempPath(), "engine-train-" + Guid.NewGuid().ToString("N"));

    /// <summary>Cross-entropy of each next-token target, from logits, with plain loops (test reference).</summary>
    public static double ReferenceCe(double[] logits, int v, int row, int target)
    {
        double max = double.NegativeInfinity;
        for (int k = 0; k < v; k++) max = Math.Max(max, logits[row * v + k]);
        double s = 0;
        for (int k = 0; k < v; k++) s += Math.Exp(logits[row * v + k] - max);
        return -(logits[row * v + target] - max - Math.Log(s));
    }

    /// <summary>A toy checkpoint folder root/model for CLI tests: a BPE tokenizer trained on the words and their reversals, random weights (seed 3).</summary>
    public static string SaveCheckpoint(string root)
    {
        var dir = Path.Combine(root, "model");
        var corpus = Words.Select(w => w + ". " + new string(w.Reverse().ToArray()) + ".").ToArray();
        var tok = Engine.Models.Tokenizers.BpeTrainer.Train(corpus, vocabSize: 300, specialTokens: ["<|endoftext|>"]);
        var cfg = Config(vocab: tok.VocabSize) with { EosTokenIds = tok.EosTokenId is { } e ? [e] : [] };
        TransformerModel.CreateRandom(cfg, 3).Save(dir);
        tok.Save(dir);
        return dir;
    }

    /// <summary>root/train.jsonl: prompt = a word, completion = the word reversed.</summary>
    public static string WriteReversalData(string root)
    {
        var data = Path.Combine(root, "train.jsonl");
        File.WriteAllLines(data, Words.Select(w => $"{{\"prompt\": \"{w}.\", \"completion\": \"{new string(w.Reverse().ToArray())}.\"}}"));
        return data;
    }
}
