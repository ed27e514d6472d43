using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;

namespace Engine.Tests.TrainingData;

public class PreferenceAndKtoTests
{
    private static DataRow Row(string json, long line = 1) => new("prefs.jsonl", line, (JsonObject)JsonNode.Parse(json)!);

    private static ExampleTokenizer Plain(TokenizationOptions? o = null, int? bos = null) =>
        new(new CharTokenizer(), PlainChatRenderer.Instance, CharTokenizer.Eos, bos, o);

    private static ExampleTokenizer ChatMl(TokenizationOptions? o = null) =>
        new(new CharTokenizer(), new ChatMlRenderer(), CharTokenizer.ImEnd, null, o);

    [Fact]
    public void StringPreferenceGetsTheFallbackTemplateAndEos()
    {
        var ex = Plain(bos: CharTokenizer.Bos).ToPreference(RecordParser.ParsePreference(Row("""{"prompt":"Q","chosen":"good","rejected":"bad"}""")));
        Assert.Equal(Expect.Ids("<bos>### Instruction:\nQ\n\n### Response:\n"), ex.PromptIds);
        Assert.Equal(Expect.Ids("good<eos>"), ex.ChosenIds);
        Assert.Equal(Expect.Ids("bad<eos>"), ex.RejectedIds);
    }

    [Fact]
    public void StringPreferenceAsIsIsTokenisedVerbatim()
    {
        var ex = Plain(new TokenizationOptions { StringRecordsAsIs = true })
            .ToPreference(RecordParser.ParsePreference(Row("""{"prompt":"Q: ","chosen":"yes","rejected":"no"}""")));
        Assert.Equal(Expect.Ids("Q: "), ex.PromptIds);
        Assert.Equal(Expect.Ids("yes<eos>"), ex.ChosenIds);
        Assert.Equal(Expect.Ids("no<eos>"), ex.RejectedIds);
    }

    [Fact]
    public void ConversationalPreferenceWithoutPromptUsesTheSharedTurns()
    {
        var rec = RecordParser.ParsePreference(Row("""
            {"chosen":[{"role":"user","content":"Q"},{"role":"assistant","content":"good"}],
             "rejected":[{"role":"user","content":"Q"},{"role":"assistant","content":"bad"}]}
            """));
        Assert.Single(rec.Prompt);
        var ex = ChatMl().ToPreference(rec);
        Assert.Equal(Expect.Ids("<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n"), ex.PromptIds);
        Assert.Equal(Expect.Ids("good<|im_end|>\n"), ex.ChosenIds);
        Assert.Equal(Expect.Ids("bad<|im_end|>\n"), ex.RejectedIds);
    }

    [Fact]
    public void PromptNextToFullConversationsIsNotRepeated()
    {
        // UltraFeedback-binarized style: a prompt string and chosen/rejected lists that start with the same user turn.
        var rec = RecordParser.ParsePreference(Row("""
            {"prompt":"Q","chosen":[{"role":"user","content":"Q"},{"role":"assistant","content":"good"}],
             "rejected":[{"role":"user","content":"Q"},{"role":"assistant","content":"bad"}]}
            """));
        var ex = ChatMl().ToPreference(rec);
        Assert.Equal(Expect.Ids("<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n"), ex.PromptIds);
        Assert.Equal(Expect.Ids("good<|im_end|>\n"), ex.ChosenIds);
        Assert.Equal(Expect.Ids("bad<|im_end|>\n"), ex.RejectedIds);
    }

    [Fact]
    public void ConversationalPreferenceWithExplicitPrompt()
    {
        var rec = RecordParser.ParsePreference(Row("""
            {"prompt":[{"role":"system","content":"S"},{"role":"user","content":"Q"}],
             "chosen":[{"role":"assistant","content":"c"}],"rejected":[{"role":"assistant","content":"r"}],"id":42}
            """));
        var ex = ChatMl().ToPreference(rec);
        Assert.Equal(Expect.Ids("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n"), ex.PromptIds);
        Assert.Equal(Expect.Ids("c<|im_end|>\n"), ex.ChosenIds);
        Assert.Equal("42", ex.Id);
    }

    [Theory]
    [InlineData("""{"prompt":"Q","chosen":"a","rejected":[{"role":"assistant","content":"b"}]}""", "both be strings or both be message lists")]
    [InlineData("""{"prompt":"Q","chosen":"a","rejected":"  "}""", "\"rejected\" is empty")]
    [InlineData("""{"chosen":"a","rejected":"b"}""", "missing field \"prompt\"")]
    [InlineData("""{"chosen":[{"role":"user","content":"Q"},{"role":"assistant","content":"a"}],"rejected":[{"role":"user","content":"R"},{"role":"assistant","content":"b"}]}""", "share no leading turns")]
    [InlineData("""{"prompt":[{"role":"user","content":"Q"}],"chosen":[{"role":"user","content":"a"}],"rejected":[{"role":"assistant","content":"b"}]}""", "must end with an assistant turn")]
    [InlineData("""{"prompt":"Q","chosen":5,"rejected":"b"}""", "\"chosen\" must be a string, got number")]
    public void MalformedPreferenceRecordsNameTheLine(string json, string why)
    {
        var e = Assert.Throws<RecordFormatException>(() => RecordParser.ParsePreference(Row(json, line: 9)));
        Assert.StartsWith("prefs.jsonl:9: ", e.Message);
        Assert.Contains(why, e.Message);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData("1", true)]
    [InlineData("0", false)]
    [InlineData("\"true\"", true)]
    public void KtoLabelsParse(string label, bool desirable)
    {
        var rec = RecordParser.ParseKto(Row($$"""{"prompt":"Q","completion":"A","label":{{label}}}"""));
        var ex = Plain().ToKto(rec);
        Assert.Equal(desirable, ex.Desirable);
        Assert.Equal(Expect.Ids("### Instruction:\nQ\n\n### Response:\n"), ex.PromptIds);
        Assert.Equal(Expect.Ids("A<eos>"), ex.CompletionIds);
    }

    [Theory]
    [InlineData("""{"prompt":"Q","completion":"A","label":"maybe"}""", "\"label\" must be true or false")]
    [InlineData("""{"prompt":"Q","completion":"A","label":2}""", "\"label\" must be true or false")]
    [InlineData("""{"prompt":"Q","completion":"","label":true}""", "\"completion\" is empty")]
    public void MalformedKtoRecords(string json, string why)
    {
        var e = Assert.Throws<RecordFormatException>(() => RecordParser.ParseKto(Row(json, line: 3)));
        Assert.Contains(why, e.Message);
        Assert.StartsWith("prefs.jsonl:3:", e.Message);
    }

    [Fact]
    public void ConversationalKto()
    {
        var rec = RecordParser.ParseKto(Row("""{"prompt":[{"role":"user","content":"Q"}],"completion":[{"role":"assistant","content":"A"}],"label":false}"""));
        var ex = ChatMl().ToKto(rec);
        Assert.False(ex.Desirable);
        Assert.Equal(Expect.Ids("<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n"), ex.PromptIds);
        Assert.Equal(Expect.Ids("A<|im_end|>\n"), ex.CompletionIds);
    }

    private static int[] Seq(int from, int count) => Enumerable.Range(from, count).ToArray();

    [Fact]
    public void TruncationCutsThePromptFromTheLeftFirst()
    {
        var prompt = Seq(1, 10);
        int[][] comps = [Seq(100, 3), Seq(200, 5)];
        var (p, c, cut) = ExampleTokenizer.Truncate(prompt, comps, new TokenizationOptions { MaxLength = 8 });
        Assert.True(cut);
        Assert.Equal([8, 9, 10], p);       // 8 - longest completion (5) = 3 prompt tokens, from the end
        Assert.Equal(comps[0], c[0]);
        Assert.Equal(comps[1], c[1]);

        (p, c, cut) = ExampleTokenizer.Truncate(prompt, comps, new TokenizationOptions { MaxLength = 15 });
        Assert.False(cut);
        Assert.Equal(prompt, p);
    }

    [Fact]
    public void TruncationAppliesPromptAndCompletionLimits()
    {
        var (p, c, cut) = ExampleTokenizer.Truncate(Seq(1, 10), [Seq(100, 3), Seq(200, 5)],
            new TokenizationOptions { MaxPromptLength = 4, MaxCompletionLength = 2 });
        Assert.True(cut);
        Assert.Equal([7, 8, 9, 10], p);
        Assert.Equal([100, 101], c[0]);
        Assert.Equal([200, 201], c[1]);
    }

    [Fact]
    public void CompletionLongerThanMaxLengthKeepsTheLastPromptToken()
    {
        var (p, c, cut) = ExampleTokenizer.Truncate(Seq(1, 10), [Seq(100, 12), Seq(200, 4)], new TokenizationOptions { MaxLength = 8 });
        Assert.True(cut);
        Assert.Equal([10], p);
        Assert.Equal(Seq(100, 7), c[0]);
        Assert.Equal(Seq(200, 4), c[1]);
    }

    [Fact]
    public void TokenizerAppliesTruncationToPreferenceExamples()
    {
        var rec = RecordParser.ParsePreference(Row("""{"prompt":"abcdefghij","chosen":"xy","rejected":"xyz"}"""));
        var tok = Plain(new TokenizationOptions { MaxLength = 8, StringRecordsAsIs = true });
        var ex = tok.ToPreference(rec, out bool cut);
        Assert.True(cut);
        Assert.Equal(Expect.Ids("ghij"), ex.PromptIds);       // 8 - longest completion "xyz<eos>" (4 tokens) = 4
        Assert.Equal(Expect.Ids("xy<eos>"), ex.ChosenIds);
        Assert.Equal(Expect.Ids("xyz<eos>"), ex.RejectedIds);
    }
}
