using System.Text;
using System.Text.Json.Nodes;

namespace Engine.Methods.Core.Data;

/// <summary>
/// Appends one JSON object per line and flushes each, so a killed job loses at most the line being written. On
/// resume it keeps the complete records already there — whole groups of <c>linesPerRecord</c> lines (one per sample) —
/// dropping a torn last line and any partial group, and reports how many, so the job skips that many inputs and
/// resumes without loss or duplicates.
/// </summary>
public sealed class ResumableJsonlWriter : IDisposable
{
    private readonly FileStream _stream;
    /// <summary>Complete records kept from an earlier run.</summary>
    public long ExistingRecords { get; }
    /// <summary>Lines written by this writer (not counting kept ones).</summary>
    public long Written { get; private set; }
    /// <summary>Lines in the file now.</summary>
    public long Lines => ExistingRecords * _linesPerRecord + Written;
    private readonly int _linesPerRecord;

    public ResumableJsonlWriter(string path, bool resume, int linesPerRecord = 1)
    {
        if (linesPerRecord < 1) throw new ArgumentOutOfRangeException(nameof(linesPerRecord));
        _linesPerRecord = linesPerRecord;
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        if (resume && File.Exists(path))
        {
            long records = CountCompleteLines(path) / linesPerRecord;
            long keepBytes = OffsetAfterLines(path, records * linesPerRecord);
            _stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
            _stream.SetLength(keepBytes);
            _stream.Seek(keepBytes, SeekOrigin.Begin);
            ExistingRecords = records;
        }
        else _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
    }

    /// <summary>Newline-terminated lines in a file (a torn last line does not count).</summary>
    public static long CountCompleteLines(string path)
    {
        using var s = File.OpenRead(path);
        long lines = 0;
        var buf = new byte[1 << 16];
        int n;
        while ((n = s.Read(buf)) > 0) lines += buf.AsSpan(0, n).Count((byte)'\n');
        return lines;
    }

    private static long OffsetAfterLines(string path, long lines)
    {
        if (lines == 0) return 0;
        using var s = File.OpenRead(path);
        long seen = 0, pos = 0;
        var buf = new byte[1 << 16];
        int n;
        while ((n = s.Read(buf)) > 0)
        {
            for (int i = 0; i < n; i++)
                if (buf[i] == (byte)'\n' && ++seen == lines) return pos + i + 1;
            pos += n;
        }
        throw new InvalidOperationException($"{path} has fewer than {lines} lines");
    }

    public void Write(JsonNode record)
    {
        var bytes = Encoding.UTF8.GetBytes(record.ToJsonString() + "\n");
        _stream.Write(bytes);
        _stream.Flush();
        Written++;
    }

    public void Dispose()
    {
        _stream.Flush(true);
        _stream.Dispose();
    }
}
