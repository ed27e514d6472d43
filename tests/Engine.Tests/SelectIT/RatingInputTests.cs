using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Selection.SelectIT;
using Engine.Models;
using Engine.Models.Tokenizers;
using Engine.Tests.TrainingData;

namespace Engine.Tests.SelectIT;

/// <summary>A too-long rating input keeps BOS, the rating prompt, the instruction's head and the suffix the rating is read after.</summary>
public class RatingInputTests
{
    /// <summary>One token per character, and a BOS when special tokens are asked for (as Llama's tokenizer adds one).</summary>
    private sealed class BosCharTokenizer : ITokenizer
    {
        private readonly CharTokenizer _chars = new();
        public int VocabSize => _chars.VocabSize;
        public IReadOnlyCollection<int> SpecialTokenIds => _chars.SpecialTokenIds;
        public int[] Encode(string text, bool addSpecialTokens = false) => addSpecialTokens ? [CharTokenizer.Bos, .. _chars.Encode(text)] : _chars.Encode(text);
        public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false) => _chars.Decode(ids, skipSpecialTokens);
        public int? TokenToId(string token) => _chars.TokenToId(token);
        public string? IdToToken(int id) => _chars.IdToToken(id);
    }

    private const string Prompt = "Rate 1-5.";
    private static readonly string Instruction = string.Concat(Enumerable.Range(0, 40).Select(i => $"i{i:00}. "));    // 200 chars
    private static readonly string Response = string.Concat(Enumerable.Range(0, 60).Select(i => $"r{i:00}. "));       // 300 chars

    [Fact]
    public void ALongInstructionKeepsItsHeadAndTheSuffix()
    {
        var tok = new BosCharTokenizer();
        var (ids, cut) = RatingInput.Encode(tok, Prompt, new InstructionPair(Instruction, Response), maxTokens: 120);
        Assert.True(cut);
        Assert.InRange(ids.Length, 110, 120);
        Assert.Equal(CharTokenizer.Bos, ids[0]);
        var text = tok.Decode(ids.AsSpan(1));
        Assert.StartsWith(Prompt + "\n\nInstruction:" + Instruction[..15], text);
        Assert.EndsWith("\nThe answer is: \n", text);
        // The response keeps its head and tail around a cut mark.
        Assert.Contains("\nResponse:" + Response[..5], text);
        Assert.Contains(Response[^5..] + "\nThe answer is: \n", text);
        Assert.Contains(" … ", text[text.IndexOf("\nResponse:", StringComparison.Ordinal)..]);
    }

    [Fact]
    public void AShortInstructionStaysWholeAndOnlyTheResponseMiddleGoes()
    {
        var tok = new BosCharTokenizer();
        var (ids, cut) = RatingInput.Encode(tok, Prompt, new InstructionPair("Add 2 and 3.", Response), maxTokens: 120);
        Assert.True(cut);
        var text = tok.Decode(ids.AsSpan(1));
        Assert.StartsWith(Prompt + "\n\nInstruction:Add 2 and 3.\nResponse:" + Response[..20], text);
        Assert.EndsWith(Response[^20..] + "\nThe answer is: \n", text);
        // What fits is left alone.
        var (whole, wasCut) = RatingInput.Encode(tok, Prompt, new InstructionPair("Add 2 and 3.", "5"), maxTokens: 120);
        Assert.False(wasCut);
        Assert.Equal(tok.Encode(RatingPrompts.Build(Prompt, "Add 2 and 3.", "5"), true), whole);
        Assert.Contains("--max-tokens 20", Assert.Throws<InvalidOperationException>(() =>
            RatingInput.Encode(tok, Prompt, new InstructionPair(Instruction, Response), maxTokens: 20)).Message);
    }

    [Fact]
    public void OnATinyModelASmallMaxTokensScoresEveryRecordFromHeadAndSuffix()
    {
        var root = Path.Combine(Path.GetTempPath(), "engine-selectit-" + Guid.NewGuid().ToString("N"));
        try
        {
            var records = TestbedGenerator.Generate(new TestbedOptions { N = 12, Seed = 4 });
            var model = TestbedExperiment.MakeTinyModel(Path.Combine(root, "m"), TestbedExperiment.ChatText(records),
                new TestbedExperiment.TinyModelSize(Hidden: 32, Layers: 1, Intermediate: 64, Vocab: 300), seed: 1);
            var input = Path.Combine(root, "data.jsonl");
            TestbedWriter.Write(records, input, TestbedFormat.Alpaca, hideHidden: true);
            var tok = ModelBundle.Load(model).Tokenizer;
            var prompt = RatingPrompts.Default[0];
            int max = tok.Encode(RatingPrompts.Build(prompt, " … ", " … "), true).Length + 6;

            // Straight from the tokenizer: the cut input starts like the full one (BOS, prompt, "Instruction:" and its
            // first token) and ends like it (the rating suffix); the old fallback kept only the last max tokens.
            var pair = new InstructionPair(records[0].Instruction + "\n" + records[0].Input, records[0].Output);
            var full = tok.Encode(RatingPrompts.Build(prompt, pair.Instruction, pair.Response), true);
            var (ids, cut) = RatingInput.Encode(tok, prompt, pair, max);
            Assert.True(cut && full.Length > max && ids.Length <= max);
            int head = tok.Encode(prompt + "\n\nInstruction:", true).Length - 1, tail = tok.Encode("\nThe answer is: \n").Length - 1;
            Assert.Equal(full[..head], ids[..head]);
            Assert.Equal(full[^tail..], ids[^tail..]);

            var runner = new SelectItRunner(new SelectItOptions { Models = [model], NumPrompts = 2, MaxTokens = max, BatchSize = 4 });
            runner.Score(input, Path.Combine(root, "w"));
            var lines = File.ReadAllLines(SelectItRunner.ModelOutput(Path.Combine(root, "w"), 0));
            Assert.Equal(12, lines.Length);
            Assert.All(lines, l => Assert.Contains("\"truncated\":true", l));
            Assert.Equal(12, runner.Merge(input, Path.Combine(root, "w"), Path.Combine(root, "sel.jsonl"), Path.Combine(root, "scores.jsonl")).Records);
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }
}
