using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Selection.SelectIT;
using Engine.Models.Chat;
using Engine.Tests.TrainingData;

namespace Engine.Tests.CoreData;

/// <summary>The one parser: every format of the hand-written fixture, pass-through fields, and errors that name file, line and field.</summary>
public class RecordParserTests
{
    private static List<DataRecord> Fixture(string file) =>
        RecordReader.Read(DataFixtures.Path(file), r => r).Select(r => r.Item).ToList();

    private static ChatMessage M(string role, string content) => new(role, content);

    [Theory]
    [InlineData("formats.jsonl")]
    [InlineData("formats.json")]
    public void EveryFormatParsesToItsConversation(string file)
    {
        var r = Fixture(file);
        Assert.Equal(9, r.Count);
        Assert.Equal(Enumerable.Range(1, 9).Select(i => (long)i), r.Select(x => x.Row.Line));
        Assert.Equal([DatasetFormat.Alpaca, DatasetFormat.Messages, DatasetFormat.Messages, DatasetFormat.PromptCompletion, DatasetFormat.Text,
            DatasetFormat.Preference, DatasetFormat.Kto, DatasetFormat.Prompt, DatasetFormat.Tokens], r.Select(x => x.Format));

        // Alpaca: system turn, instruction and input joined by "\n", the output as the completion.
        Assert.Equal([M("system", "Answer in one word."), M("user", "Name the colour.\ngrass"), M("assistant", "green")], r[0].Messages);
        Assert.Equal(2, r[0].PromptTurnCount);
        Assert.False(r[0].IsConversational);
        // Multi-turn chat with a system turn: the last assistant turn is the completion, every turn is kept.
        Assert.Equal([M("system", "S"), M("user", "U1"), M("assistant", "A1"), M("user", "U2"), M("assistant", "A2")], r[1].Messages);
        Assert.Equal([M("assistant", "A2")], r[1].Completion);
        // ShareGPT roles map to user/assistant.
        Assert.Equal([M("user", "Q"), M("assistant", "A")], r[2].Messages);
        Assert.Equal([M("user", "2+2=")], r[3].Prompt);
        Assert.Equal([M("assistant", "4")], r[3].Completion);
        Assert.Equal("plain text, loss on every token", r[4].Text);
        Assert.Equal([M("assistant", "good")], r[5].Completion);
        Assert.Equal([M("assistant", "bad")], r[5].Rejected);
        Assert.True(r[6].Label);
        Assert.Equal([M("user", "Write a haiku.")], r[7].Prompt);
        Assert.True(r[7].IsConversational);
        Assert.Empty(r[7].Completion);
        Assert.Equal([5, 9, 11, 30], r[8].InputIds);
    }

    [Fact]
    public void PassThroughFieldsAreReadAndEveryFieldIsKept()
    {
        var r = Fixture("formats.jsonl");
        var a = r[0].Fields;
        Assert.Equal(("a1", "colours", "general", 0.5), (a.Id, a.Task, a.Domain, a.Weight));
        Assert.Equal("hand-written", r[0].Value["source"]!.GetValue<string>());   // unknown fields stay in the record
        Assert.Equal("2", r[1].Id);                                                 // numeric id keeps its spelling
        Assert.Equal("7", r[1].Fields.Group);
        Assert.Equal(["math", "multi-turn"], r[1].Fields.Tags[""]);                 // InsTag-style list
        Assert.Equal(["LA"], r[2].Fields.Tags["cognition"]);                        // CDT-style dimensions
        Assert.Equal(["Completion"], r[2].Fields.Tags["task"]);
        Assert.Equal("math", r[3].Fields.Domain);
        Assert.Equal("lm", r[4].Fields.Task);
        Assert.Null(r[6].Fields.Weight);
        // Views carry them on: the SFT example's weight comes from the record.
        Assert.Equal(0.5, r[0].ToSft().Fields!.Weight);
    }

    [Fact]
    public void JsonlJsonArrayAndParquetGiveTheSameRecords()
    {
        var jsonl = Fixture("chat.jsonl");
        var array = Fixture("chat.json");
        var parquet = Fixture("chat_duckdb.parquet");   // written by DuckDB, not by us
        foreach (var other in new[] { array, parquet })
        {
            Assert.Equal(jsonl.Count, other.Count);
            for (int i = 0; i < jsonl.Count; i++)
            {
                Assert.Equal(jsonl[i].Messages, other[i].Messages);
                Assert.Equal(jsonl[i].Id, other[i].Id);
                Assert.Equal(jsonl[i].Row.Line, other[i].Row.Line);
            }
        }
        Assert.Equal([M("user", "2+2?"), M("assistant", "4"), M("user", "ü?"), M("assistant", "ü.")], parquet[1].Messages);
        Assert.Null(parquet[2].Id);
    }

    private static DataRow Row(string json, long line = 3) => new("data.jsonl", line, (JsonObject)JsonNode.Parse(json)!);

    [Theory]
    [InlineData("""{"text": 5}""", "text", "\"text\" must be a string, got number")]
    [InlineData("""{"instruction": "i", "output": ["o"]}""", "output", "\"output\" must be a string, got a list")]
    [InlineData("""{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": 7}]}""", "messages[1].content", "must be a string, got number")]
    [InlineData("""{"conversations": [{"from": "human"}]}""", "conversations[0]", "has no \"content\"")]
    [InlineData("""{"prompt": "p", "completion": ""}""", "completion", "\"completion\" is empty")]
    [InlineData("""{"prompt": "p", "completion": "c", "label": "maybe"}""", "label", "\"label\" must be true or false")]
    [InlineData("""{"input_ids": [1, "two"]}""", "input_ids[1]", "must be a non-negative integer token id")]
    [InlineData("""{"text": "t", "weight": "heavy"}""", "weight", "\"weight\" must be a non-negative number")]
    [InlineData("""{"text": "t", "task": ["a"]}""", "task", "\"task\" must be a string or an integer")]
    [InlineData("""{"text": "t", "tags": {"domain": "Coding"}}""", "tags.domain", "must be a list of strings")]
    public void WrongTypesNameFileLineAndField(string json, string field, string why)
    {
        var e = Assert.Throws<RecordFormatException>(() => DataRecord.Parse(Row(json)));
        Assert.StartsWith("data.jsonl:3: ", e.Message);
        Assert.Contains(why, e.Message);
        Assert.Equal(field, e.Field);
        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void ViewsRejectRecordsTheyCannotUseWithTheRecordsPlace()
    {
        var promptOnly = DataRecord.Parse(Row("""{"messages": [{"role": "user", "content": "only a question"}]}""", 8));
        var e = Assert.Throws<RecordFormatException>(() => promptOnly.ToSft());
        Assert.Equal("data.jsonl:8: \"messages\" has no assistant turn, so there is nothing to train on", e.Message);
        Assert.Throws<RecordFormatException>(() => promptOnly.ToPreference());
        Assert.Throws<RecordFormatException>(() => InstructionPair.From(promptOnly));
        var text = DataRecord.Parse(Row("""{"text": "t"}"""));
        Assert.Contains("SelectIT needs an instruction and its response", Assert.Throws<RecordFormatException>(() => InstructionPair.From(text)).Message);
    }

    [Fact]
    public void InstructionPairIsAViewOfTheSameParse()
    {
        var r = Fixture("formats.jsonl");
        Assert.Equal(new InstructionPair("Name the colour.\ngrass", "green"), InstructionPair.From(r[0]));
        Assert.Equal(new InstructionPair("U1", "A1"), InstructionPair.From(r[1]));   // the first exchange; the system turn is not rated
        Assert.Equal(new InstructionPair("Q", "A"), InstructionPair.From(r[2]));
        Assert.Equal(new InstructionPair("2+2=", "4"), InstructionPair.From(r[3]));
    }
}
