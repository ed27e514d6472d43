namespace Engine.Methods.Core.Data;

/// <summary>
/// A malformed input record, with where it is: the message reads <c>file:line: why</c>, and <see cref="Field"/>
/// names the field at fault when one is (<c>text</c>, <c>messages[2].content</c>, ...).
/// </summary>
public sealed class RecordFormatException(string file, long line, string message, Exception? inner = null, string? field = null)
    : FormatException($"{file}:{line}: {message}", inner)
{
    public string File { get; } = file;
    public long Line { get; } = line;
    /// <summary>The field the problem is in, or null when it is the record as a whole (invalid JSON, unknown format).</summary>
    public string? Field { get; } = field;
    /// <summary>The reason alone, without the location.</summary>
    public string Reason { get; } = message;
}
