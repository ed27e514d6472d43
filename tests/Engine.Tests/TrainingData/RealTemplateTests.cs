using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Models.Chat;
using Engine.Models.Tokenizers;

namespace Engine.Tests.TrainingData;

/// <summary>The formatting against the real chat templates (tests/fixtures/chat_templates) and a real BPE tokenizer.</summary>
public class RealTemplateTests
{
    private static string Fixture(string file)
    {
        var dir = AppContext.BaseDirectory;
        while (!Directory.Exists(Path.Combine(dir, "tests", "fixtures", "chat_templates"))) dir = Path.GetDirectoryName(dir)!;
        return File.ReadAllText(Path.Combine(dir, "tests", "fixtures", "chat_templates", file));
    }

    private static readonly ChatMessage[] TwoTurns =
        [new("user", "What is 2+2?"), new("assistant", "It is 4."), new("user", "And 3+3?"), new("assistant", "It is 6.")];

    /// <summary>The decoded text of each run of labelled tokens.</summary>
    private static List<string> LabelledSpans(ITokenizer tok, SftExample ex)
    {
        var spans = new List<string>();
        var cur = new List<int>();
        for (int i = 0; i <= ex.Labels.Length; i++)
        {
            if (i < ex.Labels.Length && ex.Labels[i] != LabelMask.Ignore) { Assert.Equal(ex.InputIds[i], ex.Labels[i]); cur.Add(ex.Labels[i]); }
            else if (cur.Count > 0) { spans.Add(tok.Decode([.. cur])); cur.Clear(); }
        }
        return spans;
    }

    private static SftRecord Conversation(params ChatMessage[] msgs) =>
        new(DatasetFormat.Messages, null, msgs, true, null, new DataRow("chat.jsonl", 1, new JsonObject()));

    [Fact]
    public void QwenTemplateWithTrainedBpeTokenizerMasksAssistantTurns()
    {
        var template = Fixture("qwen2.5-instruct.jinja");
        var corpus = Enumerable.Repeat("What is 2+2? It is 4. And 3+3? It is 6. You are Qwen, a helpful assistant.", 20);
        var hf = BpeTrainer.Train(corpus, 400, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], template);
        var tok = ExampleTokenizer.FromHf(hf);
        Assert.IsType<TemplateChatRenderer>(tok.Renderer);
        Assert.Equal(hf.TokenToId("<|im_end|>"), tok.EosId);

        var ex = tok.ToSft(Conversation(TwoTurns))!;
        Assert.Equal(hf.ChatTemplate!.Render(TwoTurns, false), hf.Decode(ex.InputIds));
        // <|im_end|> is the EOS and the template writes it: nothing appended, and the "\n" after it belongs to the turn.
        Assert.Equal(["It is 4.<|im_end|>\n", "It is 6.<|im_end|>\n"], LabelledSpans(hf, ex));
    }

    [Theory]
    [InlineData("llama-3.1-instruct.jinja", "<|eot_id|>", new[] { "It is 4.<|eot_id|>", "It is 6.<|eot_id|>" })]
    [InlineData("smollm2-instruct.jinja", "<|im_end|>", new[] { "It is 4.<|im_end|>\n", "It is 6.<|im_end|>\n" })]
    [InlineData("llama-2-chat.jinja", "</s>", new[] { " It is 4. </s>", " It is 6. </s>" })]
    [InlineData("mistral-7b-instruct-v0.3.jinja", "</s>", new[] { " It is 4.</s>", " It is 6.</s>" })]
    public void RealTemplatesMaskExactlyTheAssistantTurns(string file, string eos, string[] spans)
    {
        var (tok, eosId) = CharTokenizerWith(eos);
        var extra = new Dictionary<string, object?> { ["bos_token"] = "<s>", ["eos_token"] = "</s>", ["now"] = new DateTime(2026, 1, 2) };
        var et = new ExampleTokenizer(tok, new TemplateChatRenderer(new ChatTemplate(Fixture(file)), extra), eosId);
        var ex = et.ToSft(Conversation(TwoTurns))!;
        Assert.Equal(spans, LabelledSpans(tok, ex));
    }

    [Fact]
    public void TemplateRefusalsAndHistoryRewritesAreRecordErrors()
    {
        using var dir = new TempDir();
        var path = dir.Write("chat.jsonl",
            """{"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"assistant","content":"c"}]}""",
            """{"messages":[{"role":"system","content":"S"},{"role":"user","content":"a"},{"role":"assistant","content":"c"}]}""");
        var (tok, eosId) = CharTokenizerWith("</s>");
        var extra = new Dictionary<string, object?> { ["bos_token"] = "<s>", ["eos_token"] = "</s>" };
        var et = new ExampleTokenizer(tok, new TemplateChatRenderer(new ChatTemplate(Fixture("mistral-7b-instruct-v0.3.jinja")), extra), eosId);
        var (examples, report) = TrainingDataset.LoadSft([path], et, new DatasetOptions { SkipBadRecords = true });
        Assert.Empty(examples);
        Assert.Equal(2, report.Skipped);
        Assert.StartsWith($"{path}:1: chat template:", report.SkippedMessages[0]);
        Assert.Contains("alternate", report.SkippedMessages[0]);
        Assert.StartsWith($"{path}:2:", report.SkippedMessages[1]);
        Assert.Contains("system prompt", report.SkippedMessages[1]);
    }

    /// <summary>The templates' special tokens, each a single token of the char tokenizer.</summary>
    private static readonly string[] TemplateSpecials = ["<s>", "</s>", "<|im_start|>", "<|im_end|>", "<|eot_id|>", "<|begin_of_text|>",
        "<|start_header_id|>", "<|end_header_id|>", "[INST]", "[/INST]"];

    private static (CharTokenizer tok, int eosId) CharTokenizerWith(string eos) => (new CharTokenizer(TemplateSpecials), Array.IndexOf(TemplateSpecials, eos));
}
