using System.Text.Json.Nodes;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Training;
using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Models;
using Engine.Models.Config;
using Engine.Models.Generation;
using Engine.Models.Tokenizers;
using Engine.Models.Transformer;

namespace Engine.Methods.Evaluation.Experiments;

/// <summary>
/// Small end-to-end experiments on the testbed: make a tiny model whose tokenizer is trained on testbed text,
/// fine-tune it on a data set, evaluate it on held-out items. Tests and method comparisons share these steps,
/// so a method's effect is always measured against the same baseline pipeline.
/// </summary>
public static class TestbedExperiment
{
    public sealed record TinyModelSize(int Hidden = 64, int Layers = 2, int Heads = 4, int KvHeads = 2, int Intermediate = 160, int Vocab = 400, int MaxPositions = 512);

    /// <summary>Write a random-initialised Qwen2-shaped model and a BPE tokenizer trained on <paramref name="corpus"/> into <paramref name="dir"/>.</summary>
    public static string MakeTinyModel(string dir, IEnumerable<string> corpus, TinyModelSize size, ulong seed, int? maxNewTokens = null)
    {
        Directory.CreateDirectory(dir);
        BpeTrainer.Train(corpus, size.Vocab, DefaultModel.SpecialTokens, DefaultModel.ChatMlTemplate).Save(dir);
        var tok = HfTokenizer.Load(dir);
        int eos = tok.TokenToId("<|im_end|>")!.Value, pad = tok.TokenToId("<|endoftext|>")!.Value;
        var cfg = ModelConfig.FromJson(new JsonObject
        {
            ["model_type"] = "qwen2", ["hidden_size"] = size.Hidden, ["intermediate_size"] = size.Intermediate,
            ["num_hidden_layers"] = size.Layers, ["num_attention_heads"] = size.Heads, ["num_key_value_heads"] = size.KvHeads,
            ["vocab_size"] = tok.VocabSize, ["max_position_embeddings"] = size.MaxPositions, ["tie_word_embeddings"] = true, ["initializer_range"] = 0.02,
        }) with { EosTokenIds = [eos], PadTokenId = pad };
        TransformerModel.CreateRandom(cfg, seed).Save(dir);
        new GenerationConfig { EosTokenIds = [eos], PadTokenId = pad, MaxNewTokens = maxNewTokens }.Save(dir);
        return dir;
    }

    /// <summary>ChatML text of testbed records, for tokenizer training.</summary>
    public static IEnumerable<string> ChatText(IEnumerable<TestbedRecord> records) => records.Select(r =>
        "<|im_start|>user\n" + (string.IsNullOrEmpty(r.Input) ? r.Instruction : r.Instruction + RecordParser.InstructionInputJoiner + r.Input) +
        "<|im_end|>\n<|im_start|>assistant\n" + r.Output + "<|im_end|>\n");

    /// <summary>Full fine-tuning of the model in <paramref name="modelDir"/> on testbed records; the result is saved to <paramref name="outDir"/>.</summary>
    public static TrainResult Sft(string modelDir, IReadOnlyList<TestbedRecord> records, string outDir, TrainerOptions options)
    {
        Directory.CreateDirectory(outDir);
        var data = Path.Combine(outDir, "train.jsonl");
        TestbedWriter.Write(records, data, TestbedFormat.Chat, hideHidden: true);
        var bundle = ModelBundle.Load(modelDir);
        var et = ExampleTokenizer.FromModel(bundle);
        var (examples, _) = TrainingDataset.LoadSft([data], et);
        var trainer = new SftTrainer(new TrainableModel(bundle.Model, null, modelDir), examples,
            options with { OutputDir = outDir, PadTokenId = bundle.Tokenizer.PadTokenId ?? 0 });
        var result = trainer.Train();
        bundle.Tokenizer.Save(outDir);
        (bundle.Generation ?? new GenerationConfig { EosTokenIds = bundle.EosTokenIds }).Save(outDir);
        return result;
    }
}
