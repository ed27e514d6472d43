using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Methods.Core.Data;

/// <summary>One JSONL record and its 1-based line number.</summary>
public readonly record struct JsonlRecord(long Line, JsonObject Value);

/// <summary>
/// Streams a JSONL file: one JSON object per line, blank lines ignored. A malformed line raises
/// <see cref="RecordFormatException"/> naming file and line, or — with <c>skipBad</c> — is reported
/// through <c>onBad</c> and skipped.
/// </summary>
public static class JsonlReader
{
    public static IEnumerable<JsonlRecord> Read(string path, bool skipBad = false, Action<RecordFormatException>? onBad = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Input file not found: {path}", path);
        using var reader = new StreamReader(path);
        long lineNo = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject? obj = null;
            RecordFormatException? error = null;
            try
            {
                obj = JsonNode.Parse(line) as JsonObject;
                if (obj is null) error = new RecordFormatException(path, lineNo, "not a JSON object");
            }
            catch (JsonException e) { error = new RecordFormatException(path, lineNo, "invalid JSON: " + e.Message, e); }
            if (error is not null)
            {
                if (!skipBad) throw error;
                onBad?.Invoke(error);
                continue;
            }
            yield return new JsonlRecord(lineNo, obj!);
        }
    }
}
