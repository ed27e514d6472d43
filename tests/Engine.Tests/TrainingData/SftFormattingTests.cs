using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;

namespace Engine.Tests.TrainingData;

public class SftFormattingTests
{
    private static DataRow Row(string json, long line = 1) => new("data.jsonl", line, (JsonObject)JsonNode.Parse(json)!);

    private static ExampleTokenizer Plain(TokenizationOptions? o = null, int? bos = null) =>
        new(new CharTokenizer(), PlainChatRenderer.Instance, CharTokenizer.Eos, bos, o);

    private static ExampleTokenizer ChatMl(int eos, TokenizationOptions? o = null) =>
        new(new CharTokenizer(), new ChatMlRenderer(), eos, null, o);

    private static void AssertExample((int[] Ids, int[] Labels) expected, SftExample? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Ids, actual!.InputIds);
        Assert.Equal(expected.Labels, actual.Labels);
    }

    [Fact]
    public void AlpacaWithInputUsesPlainFallbackAndTrainsOnlyTheResponse()
    {
        var rec = RecordParser.ParseSft(Row("""{"instruction":"Add","input":"2 3","output":"5"}"""));
        Assert.Equal(DatasetFormat.Alpaca, rec.Format);
        AssertExample(Expect.Parts(("### Instruction:\nAdd\n2 3\n\n### Response:\n", false), ("5<eos>", true)), Plain().ToSft(rec));
    }

    [Fact]
    public void AlpacaSystemFieldBecomesASystemTurn()
    {
        var rec = RecordParser.ParseSft(Row("""{"system":"Be brief","instruction":"Hi","input":"","output":"Yo"}"""));
        AssertExample(Expect.Parts(("Be brief\n\n### Instruction:\nHi\n\n### Response:\n", false), ("Yo<eos>", true)), Plain().ToSft(rec));
    }

    [Fact]
    public void AlpacaWithChatTemplateRendersAsUserAndAssistantTurns()
    {
        var rec = RecordParser.ParseSft(Row("""{"instruction":"Add","input":"1 1","output":"2"}"""));
        // <|im_end|> is the EOS here, and the template writes it: nothing is appended.
        AssertExample(Expect.Parts(("<|im_start|>user\nAdd\n1 1<|im_end|>\n<|im_start|>assistant\n", false), ("2<|im_end|>\n", true)),
            ChatMl(CharTokenizer.ImEnd).ToSft(rec));
    }

    [Fact]
    public void MultiTurnMessagesTrainOnlyAssistantTurns()
    {
        var rec = RecordParser.ParseSft(Row("""
            {"messages":[{"role":"system","content":"S"},{"role":"user","content":"U1"},{"role":"assistant","content":"A1"},
                         {"role":"user","content":"U2"},{"role":"assistant","content":"A2"}]}
            """));
        AssertExample(Expect.Parts(
                ("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU1<|im_end|>\n<|im_start|>assistant\n", false),
                ("A1<|im_end|>\n", true),
                ("<|im_start|>user\nU2<|im_end|>\n<|im_start|>assistant\n", false),
                ("A2<|im_end|>\n", true)),
            ChatMl(CharTokenizer.ImEnd).ToSft(rec));
    }

    [Fact]
    public void EosIsAppendedToEachAssistantTurnWhenTheTemplateDoesNotWriteIt()
    {
        var rec = RecordParser.ParseSft(Row("""
            {"messages":[{"role":"user","content":"U1"},{"role":"assistant","content":"A1"},{"role":"user","content":"U2"},{"role":"assistant","content":"A2"}]}
            """));
        AssertExample(Expect.Parts(
                ("<|im_start|>user\nU1<|im_end|>\n<|im_start|>assistant\n", false), ("A1<|im_end|>\n<eos>", true),
                ("<|im_start|>user\nU2<|im_end|>\n<|im_start|>assistant\n", false), ("A2<|im_end|>\n<eos>", true)),
            ChatMl(CharTokenizer.Eos).ToSft(rec));
        // The same conversation with the plain fallback.
        AssertExample(Expect.Parts(
                ("### Instruction:\nU1\n\n### Response:\n", false), ("A1<eos>", true),
                ("\n\n### Instruction:\nU2\n\n### Response:\n", false), ("A2<eos>", true)),
            Plain().ToSft(rec));
    }

    [Fact]
    public void ShareGptConversationsAreMessages()
    {
        var rec = RecordParser.ParseSft(Row("""{"conversations":[{"from":"human","value":"Q"},{"from":"gpt","value":"A"}]}"""));
        AssertExample(Expect.Parts(("<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n", false), ("A<|im_end|>\n", true)),
            ChatMl(CharTokenizer.ImEnd).ToSft(rec));
    }

    [Fact]
    public void TextTrainsOnEveryTokenWithBosAndEos()
    {
        var rec = RecordParser.ParseSft(Row("""{"text":"hello"}"""));
        var ex = Plain(bos: CharTokenizer.Bos).ToSft(rec)!;
        AssertExample(Expect.Parts(("<bos>", false), ("hello<eos>", true)), ex);
    }

    [Fact]
    public void TrainOnAllTokensLabelsThePromptToo()
    {
        var rec = RecordParser.ParseSft(Row("""{"instruction":"I","output":"O"}"""));
        var ex = Plain(new TokenizationOptions { CompletionOnlyLoss = false }).ToSft(rec)!;
        AssertExample(Expect.Parts(("### Instruction:\nI\n\n### Response:\n", true), ("O<eos>", true)), ex);
    }

    [Fact]
    public void PromptCompletionTrainsOnlyTheCompletionEvenIfThePromptHasAssistantTurns()
    {
        var rec = RecordParser.ParseSft(Row("""
            {"prompt":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}],
             "completion":[{"role":"assistant","content":"d"}]}
            """));
        Assert.Equal(DatasetFormat.PromptCompletion, rec.Format);
        AssertExample(Expect.Parts(
                ("<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\nb<|im_end|>\n<|im_start|>user\nc<|im_end|>\n<|im_start|>assistant\n", false),
                ("d<|im_end|>\n", true)),
            ChatMl(CharTokenizer.ImEnd).ToSft(rec));
    }

    [Fact]
    public void StringPromptCompletionAsIsSkipsTheTemplate()
    {
        var rec = RecordParser.ParseSft(Row("""{"prompt":"2+2=","completion":"4"}"""));
        AssertExample(Expect.Parts(("2+2=", false), ("4<eos>", true)),
            ChatMl(CharTokenizer.Eos, new TokenizationOptions { StringRecordsAsIs = true }).ToSft(rec));
        AssertExample(Expect.Parts(("<|im_start|>user\n2+2=<|im_end|>\n<|im_start|>assistant\n", false), ("4<|im_end|>\n<eos>", true)),
            ChatMl(CharTokenizer.Eos).ToSft(rec));
    }

    [Fact]
    public void SftTruncationKeepsTheStartAndDropsExamplesLeftWithoutLabels()
    {
        var rec = RecordParser.ParseSft(Row("""{"instruction":"I","output":"abcdef"}"""));
        var prompt = "### Instruction:\nI\n\n### Response:\n";
        var ex = Plain(new TokenizationOptions { MaxLength = prompt.Length + 3 }).ToSft(rec, out bool cut)!;
        Assert.True(cut);
        AssertExample(Expect.Parts((prompt, false), ("abc", true)), ex);

        Assert.Null(Plain(new TokenizationOptions { MaxLength = prompt.Length }).ToSft(rec, out cut));
        Assert.True(cut);
        Plain(new TokenizationOptions { MaxLength = 1000 }).ToSft(rec, out cut);
        Assert.False(cut);
    }

    [Fact]
    public void TemplateThatRewritesHistoryIsReportedWithFileAndLine()
    {
        using var dir = new TempDir();
        var path = dir.Write("chat.jsonl",
            """{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"},{"role":"assistant","content":"d"}]}""");
        var tok = new ExampleTokenizer(new CharTokenizer(), new HistoryDroppingRenderer(), CharTokenizer.Eos);
        var e = Assert.Throws<RecordFormatException>(() => TrainingDataset.LoadSft([path], tok));
        Assert.Equal(1, e.Line);
        Assert.StartsWith(path + ":1:", e.Message);
        Assert.Contains("earlier turns", e.Message);
    }

    [Fact]
    public void WeightGroupAndIdComeFromTheRecord()
    {
        var ex = Plain().ToSft(RecordParser.ParseSft(Row("""{"id":"r7","text":"x","weight":0.5,"group":"math"}""")))!;
        Assert.Equal(("r7", 0.5, "math"), (ex.Id, ex.Weight, ex.Group));
        var ex2 = Plain().ToSft(RecordParser.ParseSft(Row("""{"text":"x"}""", line: 12)))!;
        Assert.Equal("data.jsonl:12", ex2.Id);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""", DatasetFormat.Messages)]
    [InlineData("""{"instruction":"a","output":"b"}""", DatasetFormat.Alpaca)]
    [InlineData("""{"text":"t"}""", DatasetFormat.Text)]
    [InlineData("""{"prompt":"p","completion":"c"}""", DatasetFormat.PromptCompletion)]
    [InlineData("""{"prompt":"p","chosen":"c","rejected":"r"}""", DatasetFormat.Preference)]
    [InlineData("""{"chosen":[],"rejected":[]}""", DatasetFormat.Preference)]
    [InlineData("""{"prompt":"p","completion":"c","label":true}""", DatasetFormat.Kto)]
    public void FormatIsDetectedFromFields(string json, DatasetFormat expected) =>
        Assert.Equal(expected, DatasetFormats.Detect((JsonObject)JsonNode.Parse(json)!));

    [Fact]
    public void ForcedFormatOverridesDetection()
    {
        // Has "text" too, but forced Alpaca reads instruction/output.
        var rec = RecordParser.ParseSft(Row("""{"text":"ignored","instruction":"I","output":"O"}"""), DatasetFormat.Alpaca);
        Assert.Equal(DatasetFormat.Alpaca, rec.Format);
        var e = Assert.Throws<RecordFormatException>(() => RecordParser.ParseSft(Row("""{"text":"t"}""", 4), DatasetFormat.Alpaca));
        Assert.Equal("data.jsonl:4: missing field \"instruction\"", e.Message);
    }
}
