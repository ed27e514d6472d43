using System.Text.Json.Nodes;
using Engine.Models.Tokenizers;

namespace Engine.Tests.Tokenizers;

public class AddedTokenAndModelTypeTests
{
    static string WithAddedTokens(params JsonObject[] tokens)
    {
        var root = JsonNode.Parse(SentencePieceBpeTests.Json())!.AsObject();
        var arr = root["added_tokens"]!.AsArray();
        foreach (var t in tokens) arr.Add(t);
        return root.ToJsonString();
    }

    static JsonObject Added(int id, string content, bool special, bool lstrip = false, bool rstrip = false) => new()
    {
        ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = lstrip, ["rstrip"] = rstrip, ["normalized"] = false, ["special"] = special,
    };

    [Fact]
    public void LongestAddedTokenWins_AndNonSpecialTokensSurviveSkipSpecial()
    {
        var tok = HfTokenizer.FromJson(WithAddedTokens(Added(300, "<|im|>", true), Added(301, "<|im|>x", true), Added(302, "<tool>", false)));
        Assert.Equal(302, tok.VocabSize - 1);
        Assert.Equal([301, 271], tok.Encode("<|im|>xhello"));
        Assert.Equal([300, 271], tok.Encode("<|im|>hello"));
        int[] ids = tok.Encode("<tool>hello<|im|>");
        Assert.Equal([302, 271, 300], ids);
        Assert.Equal("<tool> hello", tok.Decode(ids, skipSpecialTokens: true));
        Assert.DoesNotContain(302, tok.SpecialTokenIds);
        Assert.Contains(300, tok.SpecialTokenIds);
    }

    [Fact]
    public void LstripAndRstrip_SwallowNeighbouringWhitespace()
    {
        var tok = HfTokenizer.FromJson(WithAddedTokens(Added(300, "<mask>", true, lstrip: true, rstrip: true)));
        Assert.Equal([271, 300, 276], tok.Encode("hello   <mask>  world"));
        var plain = HfTokenizer.FromJson(WithAddedTokens(Added(300, "<mask>", true)));
        // Without stripping, the space before <mask> stays in the text before it: "hello " → ▁hello ▁
        Assert.Equal([271, 259, 300, 259, 276], plain.Encode("hello <mask> world"));
    }

    [Theory]
    [InlineData("WordPiece")]
    [InlineData("Unigram")]
    [InlineData("WordLevel")]
    public void NonBpeModels_AreRejectedByName(string type)
    {
        string json = "{\"version\":\"1.0\",\"added_tokens\":[],\"model\":{\"type\":\"" + type + "\",\"vocab\":{\"a\":0}}}";
        var ex = Assert.Throws<NotSupportedException>(() => HfTokenizer.FromJson(json));
        Assert.Contains(type, ex.Message);
    }

    [Fact]
    public void TokenizerConfig_GivesSpecialTokensAndChatTemplate()
    {
        string config = """
        {"bos_token": {"__type": "AddedToken", "content": "<s>"}, "eos_token": "</s>", "pad_token": null, "unk_token": "<unk>",
         "chat_template": [{"name": "tool_use", "template": "TOOLS"}, {"name": "default", "template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}"}]}
        """;
        var tok = HfTokenizer.FromJson(SentencePieceBpeTests.Json(), config);
        Assert.Equal(1, tok.BosTokenId);
        Assert.Equal(2, tok.EosTokenId);
        Assert.Null(tok.PadTokenId);
        Assert.Equal("<unk>", tok.UnkToken);
        Assert.Equal("<s>ab", tok.ApplyChatTemplate([new("user", "a"), new("assistant", "b")], false));
    }

    [Fact]
    public void AddBosFlagInConfig_OverridesPostProcessor_AsTransformersDoes()
    {
        var tok = HfTokenizer.FromJson(SentencePieceBpeTests.Json(), """{"bos_token": "<s>", "eos_token": "</s>", "add_bos_token": true, "add_eos_token": true}""");
        Assert.Equal([1, 271, 2], tok.Encode("hello", addSpecialTokens: true));
        Assert.Equal([271], tok.Encode("hello"));
    }
}
