using System.Text;
using System.Text.Json.Nodes;

namespace Engine.Methods.Core.Data;

/// <summary>
/// Appends one JSON object per line and flushes each, so a killed job loses at most the line being
/// written. On open it keeps the complete lines already there (dropping a torn last line) and reports
/// how many, so the job skips that many inputs and resumes without loss or duplicates.
/// </summary>
public sealed class ResumableJsonlWriter : IDisposable
{
    private readonly FileStream _stream;
    public long ExistingRecords { get; }
    public long Written { get; private set; }

    public ResumableJsonlWriter(string path, bool resume)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        if (resume && File.Exists(path))
        {
            var (complete, goodBytes) = CountCompleteLines(path);
            _stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
            _stream.SetLength(goodBytes);
            _stream.Seek(goodBytes, SeekOrigin.Begin);
            ExistingRecords = complete;
        }
        else _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
    }

    private static (long lines, long bytes) CountCompleteLines(string path)
    {
        using var s = File.OpenRead(path);
        long lines = 0, lastNewline = 0, pos = 0;
        var buf = new byte[1 << 16];
        int n;
        while ((n = s.Read(buf)) > 0)
        {
            for (int i = 0; i < n; i++)
                if (buf[i] == (byte)'\n') { lastNewline = pos + i + 1; lines++; }
            pos += n;
        }
        return (lines, lastNewline);
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
