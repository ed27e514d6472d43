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
    public void NfcNormalizer_MatchesHf()
    {
        string json = SentencePieceBpeTests.Json().Replace("\"normalizers\":[", "\"normalizers\":[{\"type\":\"NFC\"},");
        AssertSameIds(WriteTemp(json), HfTokenizer.FromJson(json), ["cafe\u0301 hello", "A\u030A\u0323 world", "\u1100\u1161\u11A8", "e\u0301\u0301"], true);
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

    /// <summary>Llama 3's layout on the cl100k data: ignore_merges, and a post-processor Sequence of
    /// ByteLevel + TemplateProcessing that adds &lt;|begin_of_text|&gt;.</summary>
    [Fact]
    public void Llama3Layout_IgnoreMerges_BosTemplate()
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(TiktokenFixtures.Cl100kJson)!.AsObject();
        root["model"]!["ignore_merges"] = true;
        root["added_tokens"]!.AsArray().Add(new System.Text.Json.Nodes.JsonObject
        {
            ["id"] = 100300, ["content"] = "<|begin_of_text|>", ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
        });
        root["post_processor"] = System.Text.Json.Nodes.JsonNode.Parse("""
            {"type": "Sequence", "processors": [
              {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
              {"type": "TemplateProcessing",
               "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
               "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                        {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
               "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [100300], "tokens": ["<|begin_of_text|>"]}}}]}
            """);
        string json = root.ToJsonString();
        var ours = HfTokenizer.FromJson(json);
        Assert.Equal([100300, 15339, 1917], ours.Encode("hello world", addSpecialTokens: true));
        AssertSameIds(WriteTemp(json), ours, TiktokenFixtures.Corpus, true);
    }

    /// <summary>SmolLM2's layout on the GPT-2 data: digits split one by one before the ByteLevel regex.</summary>
    [Fact]
    public void SmolLmLayout_IndividualDigits()
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(TiktokenFixtures.Gpt2Json)!.AsObject();
        root["pre_tokenizer"] = System.Text.Json.Nodes.JsonNode.Parse("""
            {"type": "Sequence", "pretokenizers": [
              {"type": "Digits", "individual_digits": true},
              {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}]}
            """);
        string json = root.ToJsonString();
        var ours = HfTokenizer.FromJson(json);
        Assert.Equal(ours.Encode("1"), ours.Encode("12")[..1]);
        AssertSameIds(WriteTemp(json), ours, TiktokenFixtures.Corpus.Append("year 2024: 3.14159 x10"), false);
    }
}
