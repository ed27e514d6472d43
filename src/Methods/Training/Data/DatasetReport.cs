using Engine.Methods.Core.Data;

namespace Engine.Methods.Training.Data;

/// <summary>What loading a dataset did: rows read, examples made, and what was skipped, dropped or cut, and why.</summary>
public sealed class DatasetReport(int maxMessages = 20)
{
    private readonly List<string> _messages = [];

    public long RowsRead { get; internal set; }
    public long Examples { get; internal set; }
    /// <summary>Malformed records skipped (only with skipBadRecords; otherwise the first one throws).</summary>
    public long Skipped { get; private set; }
    /// <summary>SFT examples dropped because truncation left no labelled token.</summary>
    public long DroppedNoLoss { get; internal set; }
    /// <summary>Examples shortened to fit the length limits.</summary>
    public long Truncated { get; internal set; }
    /// <summary>The first few skipped records' messages ("file:line: why").</summary>
    public IReadOnlyList<string> SkippedMessages => _messages;

    public void AddSkipped(RecordFormatException e)
    {
        Skipped++;
        if (_messages.Count < maxMessages) _messages.Add(e.Message);
    }

    public override string ToString()
    {
        var s = $"{RowsRead} rows → {Examples} examples; {Skipped} malformed skipped, {DroppedNoLoss} dropped with no labelled tokens, {Truncated} truncated";
        if (_messages.Count > 0) s += Environment.NewLine + string.Join(Environment.NewLine, _messages.Select(m => "  " + m));
        if (Skipped > _messages.Count) s += Environment.NewLine + $"  ... and {Skipped - _messages.Count} more";
        return s;
    }
}
