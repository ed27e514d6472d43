using System.Text.Json.Nodes;
using Engine.Models.Tokenizers;

namespace Engine.Tests.Tokenizers;

public class BpeTrainerTests
{
    static readonly string[] Specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    /// <summary>Deterministic pseudo-English: sentences built from a fixed word list with a seeded generator.</summary>
    internal static List<string> Corpus(int seed, int lines)
    {
        string[] words = ["the", "model", "data", "token", "training", "selection", "quality", "instruction", "response", "learning",
            "we", "select", "samples", "that", "improve", "loss", "of", "a", "small", "language", "with", "curriculum", "and", "teacher",
            "score", "each", "example", "before", "after", "fine-tuning", "is", "are", "it's", "they're", "42", "2024", "3.5"];
        var rng = new Random(seed);
        var result = new List<string>(lines);
        for (int i = 0; i < lines; i++)
        {
            int n = rng.Next(5, 15);
            var sentence = string.Join(" ", Enumerable.Range(0, n).Select(_ => words[rng.Next(words.Length)]));
            result.Add(char.ToUpperInvariant(sentence[0]) + sentence[1..] + (rng.Next(4) == 0 ? "?\n" : ".\n"));
        }
        return result;
    }

    static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "engine-tok-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact]
    public void TinyCorpus_MergesWorkedOutByHand()
    {
        // One word "aaab" seen 3 times. Pairs: (a,a)=6, (a,b)=3 → merge "a a": [aa, a, b].
        // Then (aa,a)=3 and (a,b)=3 tie; (a,b) has the smaller ids → "a b": [aa, ab]. Then "aa ab".
        var tok = BpeTrainer.Train(["aaab", "aaab", "aaab"], 256 + 3, [], minFrequency: 1);
        string dir = TempDir();
        tok.Save(dir);
        var merges = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "tokenizer.json")))!["model"]!["merges"]!.AsArray().Select(m => m!.GetValue<string>());
        Assert.Equal(["a a", "a b", "aa ab"], merges);
        Assert.Equal([258], tok.Encode("aaab"));   // 256 byte tokens (ids 0..255) then aa=256, ab=257, aaab=258
        // The byte alphabet is sorted by character: '!' (0x21) is id 0, so 'a' (0x61) is 0x40.
        Assert.Equal(0x40, tok.TokenToId("a"));
        Assert.Equal([0x41, 256], tok.Encode("baa"));   // b, then "a a" merged
    }

    [Fact]
    public void Training_IsDeterministic()
    {
        var corpus = Corpus(1, 300);
        string a = TempDir(), b = TempDir();
        BpeTrainer.Train(corpus, 600, Specials).Save(a);
        BpeTrainer.Train(corpus, 600, Specials).Save(b);
        Assert.Equal(File.ReadAllText(Path.Combine(a, "tokenizer.json")), File.ReadAllText(Path.Combine(b, "tokenizer.json")));
    }

    [Fact]
    public void SaveLoad_RoundTrip_SameIdsAndLosslessDecode()
    {
        var corpus = Corpus(2, 300);
        const string template = "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}";
        var trained = BpeTrainer.Train(corpus, 700, Specials, template);
        string dir = TempDir();
        trained.Save(dir);
        var loaded = HfTokenizer.Load(dir);

        // The toy corpus has few distinct words, so merging runs out before 700; the size must still round-trip.
        Assert.InRange(trained.VocabSize, 400, 700);
        Assert.Equal(trained.VocabSize, loaded.VocabSize);
        Assert.Equal("<|im_end|>", loaded.EosToken);
        Assert.Equal(2, loaded.EosTokenId);
        Assert.Equal(template, loaded.ChatTemplate!.Source);
        var heldOut = Corpus(99, 20).Concat(TiktokenFixtures.Corpus);
        foreach (var text in heldOut)
        {
            int[] ids = trained.Encode(text);
            Assert.Equal(ids, loaded.Encode(text));
            Assert.Equal(text, loaded.Decode(ids));
        }
    }

    [Fact]
    public void Training_ReducesTokensPerCharacter()
    {
        var corpus = Corpus(3, 400);
        var bytesOnly = BpeTrainer.Train(corpus, 256 + Specials.Length, Specials);
        var trained = BpeTrainer.Train(corpus, 800, Specials);
        string heldOut = string.Concat(Corpus(4, 50));
        int baseline = bytesOnly.Encode(heldOut).Length, merged = trained.Encode(heldOut).Length;
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(heldOut), baseline);
        Assert.True(merged < baseline * 0.35, $"trained BPE gives {merged} tokens vs {baseline} bytes on held-out text");
    }

    [Fact]
    public void SpecialTokens_ComeFirst_AndAreSplitFromText()
    {
        var tok = BpeTrainer.Train(Corpus(5, 100), 500, Specials);
        Assert.Equal([0, 1, 2], Specials.Select(s => tok.TokenToId(s)!.Value));
        int[] ids = tok.Encode("<|im_start|>user\nthe model<|im_end|>");
        Assert.Equal(1, ids[0]);
        Assert.Equal(2, ids[^1]);
        Assert.DoesNotContain(0, ids[1..^1]);
        Assert.Equal("user\nthe model", tok.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void MinFrequency_StopsMergingRarePairs()
    {
        var tok = BpeTrainer.Train(["abcdef"], 1000, [], minFrequency: 2);
        Assert.Equal(256, tok.VocabSize);
    }
}
