using System.Text.Json.Nodes;
using Engine.Models.Tokenizers;

namespace Engine.Tests.Tokenizers;

/// <summary>Llama 2 / Mistral style tokenizer.json (▁ for spaces, byte fallback, Replace/ByteFallback/Fuse/Strip
/// decoder, TemplateProcessing BOS) on a small hand-made vocabulary whose ids are worked out by hand.</summary>
public class SentencePieceBpeTests
{
    // ids: <unk>=0 <s>=1 </s>=2, <0x00>..<0xFF> = 3..258, then the pieces below from 259.
    static readonly string[] Pieces = ["▁", "h", "e", "l", "o", "w", "r", "d", "▁h", "ll", "▁he", "llo", "▁hello", "▁w", "or", "▁wor", "ld", "▁world"];
    static readonly string[] Merges = ["▁ h", "l l", "▁h e", "ll o", "▁he llo", "▁ w", "o r", "▁w or", "l d", "▁wor ld"];

    internal static string Json(bool byteFallback = true, bool fuseUnk = true, bool metaspace = false)
    {
        var vocab = new JsonObject { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        for (int b = 0; b < 256; b++) vocab[$"<0x{b:X2}>"] = 3 + b;
        for (int i = 0; i < Pieces.Length; i++) vocab[Pieces[i]] = 259 + i;
        JsonObject Special(int id, string c) => new() { ["id"] = id, ["content"] = c, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true };
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(Special(0, "<unk>"), Special(1, "<s>"), Special(2, "</s>")),
            ["normalizer"] = metaspace ? null : new JsonObject
            {
                ["type"] = "Sequence",
                ["normalizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Prepend", ["prepend"] = "▁" },
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = "▁" }),
            },
            ["pre_tokenizer"] = metaspace ? new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = "first", ["split"] = false } : null,
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>", ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
                ["pair"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>", ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } },
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>", ["type_id"] = 1 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "B", ["type_id"] = 1 } }),
                ["special_tokens"] = new JsonObject { ["<s>"] = new JsonObject { ["id"] = "<s>", ["ids"] = new JsonArray(1), ["tokens"] = new JsonArray("<s>") } },
            },
            ["decoder"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["decoders"] = new JsonArray(
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = "▁" }, ["content"] = " " },
                    new JsonObject { ["type"] = "ByteFallback" },
                    new JsonObject { ["type"] = "Fuse" },
                    new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 }),
            },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = "<unk>", ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = fuseUnk, ["byte_fallback"] = byteFallback, ["ignore_merges"] = false,
                ["vocab"] = vocab, ["merges"] = new JsonArray(Merges.Select(m => (JsonNode?)m).ToArray()),
            },
        };
        return root.ToJsonString();
    }

    [Fact]
    public void Encode_HandComputedIds_WithByteFallback()
    {
        var tok = HfTokenizer.FromJson(Json());
        // "hello world 😀" → "▁hello▁world▁😀": ▁hello=271, ▁world=276, ▁=259, 😀 = F0 9F 98 80 → 3+0xF0.. = 243 162 155 131
        Assert.Equal([271, 276, 259, 243, 162, 155, 131], tok.Encode("hello world 😀"));
        Assert.Equal([1, 271, 276, 259, 243, 162, 155, 131], tok.Encode("hello world 😀", addSpecialTokens: true));
        // "hold": ▁h=267 then o l d: "l d" merges to ld=275 → ▁h o ld
        Assert.Equal([267, 263, 275], tok.Encode("hold"));
    }

    [Fact]
    public void Decode_ReplacesMetaspace_FusesBytes_StripsLeadingSpace()
    {
        var tok = HfTokenizer.FromJson(Json());
        Assert.Equal("hello world 😀", tok.Decode([1, 271, 276, 259, 243, 162, 155, 131], skipSpecialTokens: true));
        Assert.Equal("<s> hello", tok.Decode([1, 271]));
        // A lone continuation byte is invalid UTF-8 → U+FFFD, as HF's ByteFallback does.
        Assert.Equal("hello\uFFFD", tok.Decode([271, 3 + 0x80]));
    }

    [Fact]
    public void UnknownCharacters_WithoutByteFallback_FuseIntoOneUnk()
    {
        var tok = HfTokenizer.FromJson(Json(byteFallback: false, fuseUnk: true));
        Assert.Equal([271, 259, 0], tok.Encode("hello 日本"));
        var unfused = HfTokenizer.FromJson(Json(byteFallback: false, fuseUnk: false));
        Assert.Equal([271, 259, 0, 0], unfused.Encode("hello 日本"));
    }

    [Fact]
    public void MetaspacePreTokenizer_GivesSameIdsAsNormalizerForm()
    {
        var a = HfTokenizer.FromJson(Json());
        var b = HfTokenizer.FromJson(Json(metaspace: true));
        foreach (var text in new[] { "hello world", "world hello 😀", "hello  world" })
            Assert.Equal(a.Encode(text), b.Encode(text));
        // They differ on leading spaces: Metaspace prepends ▁ only when the text does not already start with one.
        Assert.Equal([259, 259, 271], a.Encode("  hello"));
        Assert.Equal([259, 271], b.Encode("  hello"));
    }

    [Fact]
    public void SpecialTokensInText_AreSplitOut_AndTextAfterThemGetsThePrefix()
    {
        var tok = HfTokenizer.FromJson(Json());
        // Each plain section is normalized on its own, so "world" after </s> gets its ▁ prefix (HF legacy behaviour).
        Assert.Equal([271, 2, 276], tok.Encode("hello</s>world"));
    }

    [Fact]
    public void NfcAndNfkcNormalizers_WorkUnderInvariantGlobalization()
    {
        // Qwen2's tokenizer.json has an NFC normalizer: "e" + combining acute must become "é" before BPE.
        string nfc = Json().Replace("\"normalizers\":[", "\"normalizers\":[{\"type\":\"NFC\"},");
        var tok = HfTokenizer.FromJson(nfc);
        Assert.Equal(tok.Encode("caf\u00e9"), tok.Encode("cafe\u0301"));
        Assert.NotEqual(tok.Encode("caf\u00e9"), HfTokenizer.FromJson(Json()).Encode("cafe\u0301"));
        // NFKC folds compatibility characters: the circled digit ① is "1", the ligature ﬁ is "fi".
        string nfkc = Json().Replace("\"normalizers\":[", "\"normalizers\":[{\"type\":\"NFKC\"},");
        var k = HfTokenizer.FromJson(nfkc);
        Assert.Equal(k.Encode("1 fi"), k.Encode("\u2460 \ufb01"));
    }
}
