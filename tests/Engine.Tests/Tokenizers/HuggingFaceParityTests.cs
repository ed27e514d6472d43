using Engine.Models.Tokenizers;

namespace Engine.Tests.Tokenizers;

/// <summary>
/// The real Hugging Face tokenizers library (Rust, through the Tokenizers.DotNet NuGet wrapper) loads the
/// same tokenizer.json files and must produce the same ids as our loader. Debian has no python3-tokenizers,
/// so this wrapper is how the reference implementation is reached here.
/// </summary>
public class HuggingFaceParityTests
{
    static string WriteTemp(string json)
    {
        string path = Path.Combine(Path.GetTempPath(), "engine-hf-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return path;
    }

    static void AssertSameIds(string tokenizerJsonPath, HfTokenizer ours, IEnumerable<string> texts, bool addSpecial)
    {
        var hf = new global::Tokenizers.DotNet.Tokenizer(tokenizerJsonPath);
        foreach (var text in texts)
        {
            if (text.Length == 0) continue;
            int[] expected = hf.Encode(text).Select(x => (int)x).ToArray();
            Assert.True(expected.SequenceEqual(ours.Encode(text, addSpecial)),
                $"ids differ for {text}: HF [{string.Join(",", expected)}] ours [{string.Join(",", ours.Encode(text, addSpecial))}]");
        }
    }

    [Fact]
    public void Gpt2_ByteLevel() =>
        AssertSameIds(WriteTemp(TiktokenFixtures.Gpt2Json), TiktokenFixtures.Gpt2, TiktokenFixtures.Corpus.Append("a<|endoftext|>b"), false);

    [Fact]
    public void Cl100k_SplitRegexThenByteLevel() =>
        AssertSameIds(WriteTemp(TiktokenFixtures.Cl100kJson), TiktokenFixtures.Cl100k, TiktokenFixtures.Corpus, false);

    [Fact]
    public void SentencePieceStyle_ByteFallback_WithBos()
    {
        string json = SentencePieceBpeTests.Json();
        AssertSameIds(WriteTemp(json), HfTokenizer.FromJson(json),
            ["hello world 😀", "hold", "hello</s>world", "  hello  world  ", "日本語 hello", "wow"], true);
    }

    [Fact]
    public void SentencePieceStyle_Metaspace_NoByteFallback()
    {
        string json = SentencePieceBpeTests.Json(byteFallback: false, fuseUnk: true, metaspace: true);
        AssertSameIds(WriteTemp(json), HfTokenizer.FromJson(json), ["hello world", "  hello", "hello 日本", "world</s> hello"], true);
    }

    [Fact]
    public void TrainedTokenizer_SavedFile_LoadsInHf_WithSameIds()
    {
        var trained = BpeTrainer.Train(BpeTrainerTests.Corpus(7, 300), 700, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]);
        string dir = Path.Combine(Path.GetTempPath(), "engine-hf-" + Guid.NewGuid().ToString("N"));
        trained.Save(dir);
        AssertSameIds(Path.Combine(dir, "tokenizer.json"), trained,
            BpeTrainerTests.Corpus(8, 20).Concat(TiktokenFixtures.Corpus).Append("<|im_start|>user\nhi<|im_end|>"), false);
    }
}
