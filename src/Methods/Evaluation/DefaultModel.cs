using System.Text.Json.Nodes;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Training;
using Engine.Models.Config;
using Engine.Models.Generation;
using Engine.Models.Tokenizers;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Methods.Evaluation;

/// <summary>
/// The embedded default model: a small Qwen2-shaped model (~0.9M parameters) and a byte-level BPE tokenizer, both
/// made by the project from testbed text (the model fine-tuned for a few hundred steps on clean train-split
/// conversations, so it knows the answer format but has not mastered the tasks), built deterministically on first use into ENGINE_HOME (default ~/.cache/engine)
/// so a fresh clone runs without downloads. Any Hugging Face folder can be used instead with --model.
/// </summary>
public static class DefaultModel
{
    public const string Version = "default-v4";
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
        return TestbedExperiment.ChatText(records.Concat(cot));
    }

    /// <summary>
    /// What <see cref="Build(string, Recipe)"/> makes: the model's size, the tokenizer corpus and the format-teaching SFT.
    /// <see cref="Recipe.Default"/> is the embedded model; tests build a tiny recipe through the same code to check that
    /// a build's bytes depend on nothing but the recipe.
    /// </summary>
    public sealed record Recipe(TestbedExperiment.TinyModelSize Size, int CorpusRecords, int SftRecords, int Steps, int BatchSize, int MaxLength)
    {
        public static readonly Recipe Default = new(
            new TestbedExperiment.TinyModelSize(Hidden: 128, Layers: 4, Heads: 4, KvHeads: 2, Intermediate: 352, Vocab: 1024, MaxPositions: 1024),
            CorpusRecords: 3000, SftRecords: 4000, Steps: PretrainSteps, BatchSize: 16, MaxLength: 256);
    }

    public static void Build(string dir) => Build(dir, Recipe.Default);

    public static void Build(string dir, Recipe recipe)
    {
        TestbedExperiment.MakeTinyModel(dir, Corpus(recipe.CorpusRecords), recipe.Size, seed: 20261125, maxNewTokens: 64);
        // Teach the answer format on clean train-split conversations; the result replaces the random weights.
        var records = TestbedGenerator.Generate(new TestbedOptions { N = recipe.SftRecords, MinDifficulty = 1, MaxDifficulty = 2, Seed = 2026, Split = TestbedSplit.Train });
        var trained = dir + ".sft";
        TestbedExperiment.Sft(dir, records, trained, new TrainerOptions
        {
            LearningRate = 2e-3, Schedule = LrScheduleKind.Cosine, WarmupRatio = 0.05, MaxSteps = recipe.Steps, BatchSize = recipe.BatchSize, MaxLength = recipe.MaxLength,
            Seed = 1, LogSteps = 1_000_000,
            // The loss is part of the versioned recipe (Version), fixed here so that a change of SFT's default (the fused
            // loss on the CPU since v4) cannot silently give another model under the same version.
            LossChunkTokens = 0,
        });
        foreach (var f in new[] { "model.safetensors", "config.json" }) File.Copy(Path.Combine(trained, f), Path.Combine(dir, f), overwrite: true);
        System.IO.Directory.Delete(trained, true);
    }
}
