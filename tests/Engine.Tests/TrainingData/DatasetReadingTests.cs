using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Parquet;
using Parquet.Serialization;

namespace Engine.Tests.TrainingData;

public class DatasetReadingTests
{
    private static ExampleTokenizer Plain() => new(new CharTokenizer(), PlainChatRenderer.Instance, CharTokenizer.Eos);

    private static readonly string[] MixedLines =
    [
        """{"instruction":"a","output":"b"}""",                                  // 1 ok
        """{bad json""",                                                         // 2 invalid JSON
        """{"instruction":"x","output":""}""",                                   // 3 empty completion
        """{"messages":[{"role":"user","content":"hi"}]}""",                     // 4 no assistant turn
        """{"messages":"nope"}""",                                               // 5 mistyped field
        "",                                                                       // 6 blank: ignored
        """{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"r"}]}""", // 7 ok
        """{"instruction":5,"output":"y"}""",                                    // 8 mistyped field
        """{"foo":1}""",                                                         // 9 unknown format
    ];

    [Fact]
    public void FirstMalformedRecordThrowsWithFileAndLine()
    {
        using var dir = new TempDir();
        var path = dir.Write("train.jsonl", MixedLines);
        var e = Assert.Throws<RecordFormatException>(() => TrainingDataset.LoadSft([path], Plain()));
        Assert.Equal(path, e.File);
        Assert.Equal(2, e.Line);
        Assert.StartsWith($"{path}:2: invalid JSON", e.Message);
    }

    [Theory]
    [InlineData(3, "\"output\" is empty")]
    [InlineData(4, "no assistant turn")]
    [InlineData(5, "\"messages\" must be a list of messages, got string")]
    [InlineData(8, "\"instruction\" must be a string, got number")]
    [InlineData(9, "cannot tell the format from fields [foo]")]
    public void EachKindOfBadRecordNamesItsLine(int line, string why)
    {
        using var dir = new TempDir();
        // Keep lines 1..line, dropping earlier bad ones by blanking them, so this line is the first error.
        var lines = MixedLines.Select((l, i) => i + 1 == line || i == 0 ? l : "").Take(line).ToArray();
        var path = dir.Write("train.jsonl", lines);
        var e = Assert.Throws<RecordFormatException>(() => TrainingDataset.LoadSft([path], Plain()));
        Assert.Equal(line, e.Line);
        Assert.StartsWith($"{path}:{line}: ", e.Message);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void SkipModeCountsAndReportsBadRecords()
    {
        using var dir = new TempDir();
        var path = dir.Write("train.jsonl", MixedLines);
        var (examples, report) = TrainingDataset.LoadSft([path], Plain(), new DatasetOptions { SkipBadRecords = true, MaxReportedErrors = 3 });
        Assert.Equal(2, examples.Count);
        Assert.Equal(2, report.Examples);
        Assert.Equal(6, report.Skipped);
        Assert.Equal(3, report.SkippedMessages.Count);
        Assert.StartsWith($"{path}:2:", report.SkippedMessages[0]);
        Assert.StartsWith($"{path}:3:", report.SkippedMessages[1]);
        Assert.StartsWith($"{path}:4:", report.SkippedMessages[2]);
        Assert.Contains("and 3 more", report.ToString());
        Assert.Equal("train.jsonl:7", examples[1].Id);
    }

    [Fact]
    public void SkipModeCountsExamplesDroppedByTruncation()
    {
        using var dir = new TempDir();
        var path = dir.Write("t.jsonl", """{"instruction":"a long instruction","output":"b"}""", """{"text":"short"}""");
        var tok = new ExampleTokenizer(new CharTokenizer(), PlainChatRenderer.Instance, CharTokenizer.Eos, null, new TokenizationOptions { MaxLength = 12 });
        var (examples, report) = TrainingDataset.LoadSft([path], tok);
        Assert.Single(examples);
        Assert.Equal(1, report.DroppedNoLoss);
        Assert.Equal(1, report.Truncated);
        Assert.Equal(2, report.RowsRead);
    }

    [Fact]
    public void PreferenceLoaderRejectsSftRecords()
    {
        using var dir = new TempDir();
        var path = dir.Write("p.jsonl", """{"prompt":"q","chosen":"a","rejected":"b"}""", """{"text":"t"}""");
        var e = Assert.Throws<RecordFormatException>(() => TrainingDataset.LoadPreference([path], Plain()));
        Assert.Equal(2, e.Line);
        var (ok, report) = TrainingDataset.LoadPreference([path], Plain(), new DatasetOptions { SkipBadRecords = true });
        Assert.Single(ok);
        Assert.Equal(1, report.Skipped);
    }

    public sealed class Msg { public string role { get; set; } = ""; public string content { get; set; } = ""; }
    public sealed class ChatRow { public string? id { get; set; } public List<Msg> messages { get; set; } = []; }
    public sealed class KtoRow { public string prompt { get; set; } = ""; public string completion { get; set; } = ""; public bool label { get; set; } }

    private static readonly ChatRow[] Chats =
    [
        new() { id = "c1", messages = [new() { role = "user", content = "hi" }, new() { role = "assistant", content = "hello" }] },
        new() { id = "c2", messages = [new() { role = "system", content = "S" }, new() { role = "user", content = "q" }, new() { role = "assistant", content = "a" }] },
        new() { id = "c3", messages = [new() { role = "user", content = "1" }, new() { role = "assistant", content = "2" }, new() { role = "user", content = "3" }, new() { role = "assistant", content = "4" }] },
        new() { id = null, messages = [new() { role = "user", content = "x" }, new() { role = "assistant", content = "y" }] },
        new() { id = "c5", messages = [new() { role = "user", content = "ü€" }, new() { role = "assistant", content = "ok" }] },
    ];

    [Fact]
    public async Task ParquetChatRowsRoundTripAndMatchJsonl()
    {
        using var dir = new TempDir();
        var pq = dir.File("chat.parquet");
        await ParquetSerializer.SerializeAsync(Chats, pq, new ParquetOptions { RowGroupSize = 2 });
        var jsonl = dir.Write("chat.jsonl", Chats.Select(c => System.Text.Json.JsonSerializer.Serialize(
            c.id is null ? (object)new { c.messages } : new { c.id, c.messages })).ToArray());

        var rows = DatasetFiles.Read(pq).ToList();
        Assert.Equal([1L, 2, 3, 4, 5], rows.Select(r => r.Line));
        Assert.All(rows, r => Assert.Equal(pq, r.Source));
        Assert.Equal("c3", rows[2].Value["id"]!.GetValue<string>());
        Assert.False(rows[3].Value.ContainsKey("id"));
        Assert.Equal("ü€", rows[4].Value["messages"]![0]!["content"]!.GetValue<string>());

        var fromParquet = TrainingDataset.LoadSft([pq], Plain()).Examples;
        var fromJsonl = TrainingDataset.LoadSft([jsonl], Plain()).Examples;
        Assert.Equal(5, fromParquet.Count);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(fromJsonl[i].InputIds, fromParquet[i].InputIds);
            Assert.Equal(fromJsonl[i].Labels, fromParquet[i].Labels);
        }
        // Spot check by hand: the third conversation trains on "2<eos>" and "4<eos>" only.
        var (ids, labels) = Expect.Parts(("### Instruction:\n1\n\n### Response:\n", false), ("2<eos>", true),
            ("\n\n### Instruction:\n3\n\n### Response:\n", false), ("4<eos>", true));
        Assert.Equal(ids, fromParquet[2].InputIds);
        Assert.Equal(labels, fromParquet[2].Labels);
        Assert.Equal("chat.parquet:4", fromParquet[3].Id);
    }

    [Fact]
    public async Task ParquetKtoRowsWithBoolLabels()
    {
        using var dir = new TempDir();
        var pq = dir.File("kto.parquet");
        KtoRow[] rows = [new() { prompt = "p", completion = "good", label = true }, new() { prompt = "p", completion = "bad", label = false }];
        await ParquetSerializer.SerializeAsync(rows, pq);
        var (examples, _) = TrainingDataset.LoadKto([dir.Path], Plain());   // a folder: its dataset files
        Assert.Equal([true, false], examples.Select(e => e.Desirable));
        Assert.Equal(Expect.Ids("bad<eos>"), examples[1].CompletionIds);
    }

    private static string Fixture(string file)
    {
        var dir = AppContext.BaseDirectory;
        while (!Directory.Exists(Path.Combine(dir, "tests", "fixtures", "training_data"))) dir = Path.GetDirectoryName(dir)!;
        return Path.Combine(dir, "tests", "fixtures", "training_data", file);
    }

    [Fact]
    public void ParquetWrittenByDuckDbReadsNestedMessages()
    {
        var path = Fixture("chat_duckdb.parquet");
        var rows = DatasetFiles.Read(path).ToList();
        Assert.Equal([1L, 2, 3], rows.Select(r => r.Line));
        Assert.Equal("d1", rows[0].Value["id"]!.GetValue<string>());
        Assert.False(rows[2].Value.ContainsKey("id"));
        var msgs = rows[1].Value["messages"]!.AsArray();
        Assert.Equal(4, msgs.Count);
        Assert.Equal("assistant", msgs[3]!["role"]!.GetValue<string>());
        Assert.Equal("ü.", msgs[3]!["content"]!.GetValue<string>());

        var examples = TrainingDataset.LoadSft([path], Plain()).Examples;
        var (ids, labels) = Expect.Parts(("Be brief.\n\n### Instruction:\nHi\n\n### Response:\n", false), ("Hello!<eos>", true));
        Assert.Equal(ids, examples[0].InputIds);
        Assert.Equal(labels, examples[0].Labels);
        Assert.Equal("chat_duckdb.parquet:3", examples[2].Id);
    }

    [Fact]
    public void ParquetWrittenByDuckDbReadsScalarsAndNulls()
    {
        var rows = DatasetFiles.Read(Fixture("kto_duckdb.parquet")).ToList();
        Assert.Equal(2, rows.Count);
        Assert.True(rows[0].Value["label"]!.GetValue<bool>());
        Assert.Equal(1.5, rows[0].Value["score"]!.GetValue<double>());
        Assert.Equal(8L, rows[1].Value["n"]!.GetValue<long>());
        Assert.False(rows[1].Value.ContainsKey("score"));
        var examples = TrainingDataset.LoadKto([Fixture("kto_duckdb.parquet")], Plain()).Examples;
        Assert.Equal([true, false], examples.Select(e => e.Desirable));
    }

    [Fact]
    public void JsonArrayFilesAreReadWithElementNumbers()
    {
        using var dir = new TempDir();
        var path = dir.Write("alpaca_data.json", """
            [
              {"instruction": "a", "input": "", "output": "b"},
              {"instruction": "c", "input": "d", "output": "e"},
              7
            ]
            """);
        var e = Assert.Throws<RecordFormatException>(() => TrainingDataset.LoadSft([path], Plain()));
        Assert.Equal(3, e.Line);
        var (examples, report) = TrainingDataset.LoadSft([path], Plain(), new DatasetOptions { SkipBadRecords = true });
        Assert.Equal(2, examples.Count);
        Assert.Equal(1, report.Skipped);
        Assert.Equal(Expect.Parts(("### Instruction:\nc\nd\n\n### Response:\n", false), ("e<eos>", true)).Ids, examples[1].InputIds);
    }

    [Fact]
    public void NotAParquetFileIsAFormatError()
    {
        using var dir = new TempDir();
        var path = dir.Write("broken.parquet", "this is not parquet");
        var e = Assert.Throws<RecordFormatException>(() => DatasetFiles.Read(path).ToList());
        Assert.Contains("broken.parquet", e.Message);
    }
}
