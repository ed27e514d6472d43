using Engine.Methods.Core.Data;

namespace Engine.Methods.Training.Data;

/// <summary>What loading a dataset did: rows read, examples made, and what was skipped, dropped or cut, and why.</summary>
public sealed class DatasetReport(int maxMessages = 20)
{
    /// <summary>Rows read and bad records skipped (the shared reader's report).</summary>
    public ReadReport Reading { get; } = new(maxMessages);

    public long RowsRead => Reading.RowsRead;
    public long Examples { get; internal set; }
    /// <summary>Malformed records skipped (only with skipBadRecords; otherwise the first one throws).</summary>
    public long Skipped => Reading.SkippedCount;
    /// <summary>SFT examples dropped because truncation left no labelled token.</summary>
    public long DroppedNoLoss { get; internal set; }
    /// <summary>Examples shortened to fit the length limits.</summary>
    public long Truncated { get; internal set; }
    /// <summary>The first few skipped records' messages ("file:line: why").</summary>
    public IReadOnlyList<string> SkippedMessages => Reading.SkippedMessages;

    public void AddSkipped(RecordFormatException e) => Reading.AddSkipped(e);

    public override string ToString()
    {
        var s = $"{RowsRead} rows → {Examples} examples; {Skipped} malformed skipped, {DroppedNoLoss} dropped with no labelled tokens, {Truncated} truncated";
        if (SkippedMessages.Count > 0) s += Environment.NewLine + string.Join(Environment.NewLine, SkippedMessages.Select(m => "  " + m));
        if (Skipped > SkippedMessages.Count) s += Environment.NewLine + $"  ... and {Skipped - SkippedMessages.Count} more";
        return s;
    }
}
