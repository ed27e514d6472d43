using Engine.Methods.Core.Data;
using Engine.Tests.TrainingData;

namespace Engine.Tests.CoreData;

public class RecordReaderTests
{
    private static readonly string[] GoodBadBadGood =
    [
        """{"text": "first good"}""",
        """{"text": "broken""",
        """{"text": 5}""",
        """{"text": "second good"}""",
    ];

    [Fact]
    public void SkippingKeepsBothGoodRecordsReportsEachSkipAndIndexesOnlyValidRecords()
    {
        using var dir = new TempDir();
        var path = dir.Write("in.jsonl", GoodBadBadGood);
        var report = new ReadReport();
        var seen = new List<string>();
        report.Skipped += e => seen.Add(e.Message);
        var records = RecordReader.Read(path, r => r.Text!, new RecordReadOptions { SkipBadRecords = true }, report).ToList();
        Assert.Equal([(0L, "first good"), (1L, "second good")], records.Select(r => (r.Index, r.Item)));
        Assert.Equal(2, report.SkippedCount);
        Assert.Equal(4, report.RowsRead);
        Assert.StartsWith($"{path}:2: invalid JSON", seen[0]);
        Assert.Equal($"{path}:3: \"text\" must be a string, got number", seen[1]);
        Assert.StartsWith("2 bad records skipped", report.SkippedSummary());
    }

    [Fact]
    public void WithoutSkippingTheFirstBadRecordStopsTheRead()
    {
        using var dir = new TempDir();
        var path = dir.Write("in.jsonl", GoodBadBadGood);
        var got = new List<string>();
        var e = Assert.Throws<RecordFormatException>(() => { foreach (var r in RecordReader.Read(path, r => r.Text!)) got.Add(r.Item); });
        Assert.Equal(["first good"], got);   // what came before is delivered
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void AViewsFormatErrorIsLocatedAtTheRecord()
    {
        using var dir = new TempDir();
        var path = dir.Write("in.jsonl", """{"text": "a"}""", """{"text": "b"}""");
        var e = Assert.Throws<RecordFormatException>(() =>
            RecordReader.Read(path, r => r.Text == "b" ? throw new FormatException("template cannot split it") : r.Text).ToList());
        Assert.Equal($"{path}:2: template cannot split it", e.Message);
    }
}
