namespace Engine.Methods.Core.Data;

/// <summary>
/// What reading a dataset met: rows read, and every bad record skipped (with skip-bad-records), each as
/// <c>file:line: why</c>. <see cref="Skipped"/> fires per skip so a job can print it as it happens; the first
/// <c>maxMessages</c> messages are kept for the summary.
/// </summary>
public sealed class ReadReport(int maxMessages = 20)
{
    private readonly List<string> _messages = [];

    /// <summary>Rows met, bad ones included (rows = accepted + skipped).</summary>
    public long RowsRead { get; internal set; }
    /// <summary>Bad records skipped (invalid JSON, not an object, wrong or missing field, a record the job cannot use).</summary>
    public long SkippedCount { get; private set; }
    /// <summary>The first few skipped records' messages ("file:line: why").</summary>
    public IReadOnlyList<string> SkippedMessages => _messages;
    /// <summary>Called for every skipped record, as it is skipped.</summary>
    public event Action<RecordFormatException>? Skipped;

    public void AddSkipped(RecordFormatException e)
    {
        SkippedCount++;
        if (_messages.Count < maxMessages) _messages.Add(e.Message);
        Skipped?.Invoke(e);
    }

    /// <summary>"N bad records skipped" and the kept messages, or null when none was.</summary>
    public string? SkippedSummary()
    {
        if (SkippedCount == 0) return null;
        var s = $"{SkippedCount} bad record{(SkippedCount == 1 ? "" : "s")} skipped";
        if (_messages.Count > 0) s += ":" + Environment.NewLine + string.Join(Environment.NewLine, _messages.Select(m => "  " + m));
        if (SkippedCount > _messages.Count) s += Environment.NewLine + $"  ... and {SkippedCount - _messages.Count} more";
        return s;
    }
}
