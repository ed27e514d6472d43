using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;

namespace Engine.Methods.Core.Data;

/// <summary>
/// Reads dataset rows from JSONL (<c>.jsonl</c>, or <c>.json</c> with one object per line), a JSON array of objects
/// (<c>.json</c> starting with <c>[</c>, like the original alpaca_data.json; the "line" is then the 1-based element
/// index), or Parquet (<c>.parquet</c>) files, or from every such file in a folder (sorted by name, so the order is stable).
/// </summary>
public static class DatasetFiles
{
    private static readonly string[] Extensions = [".jsonl", ".json", ".parquet"];

    /// <summary>The files a path names: itself, or the dataset files in the folder.</summary>
    public static IReadOnlyList<string> Expand(string path)
    {
        if (File.Exists(path)) return [path];
        if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path)
                .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .OrderBy(f => f, StringComparer.Ordinal).ToList();
            if (files.Count == 0) throw new FileNotFoundException($"No .jsonl/.json/.parquet files in folder {path}");
            return files;
        }
        throw new FileNotFoundException($"Dataset not found: {path}", path);
    }

    /// <summary>
    /// Rows of every file <paramref name="path"/> names. A line that is not a JSON object raises
    /// <see cref="RecordFormatException"/>, or with <paramref name="skipBad"/> goes to <paramref name="onBad"/>.
    /// </summary>
    public static IEnumerable<DataRow> Read(string path, bool skipBad = false, Action<RecordFormatException>? onBad = null)
    {
        foreach (var file in Expand(path))
        {
            if (Path.GetExtension(file).Equals(".parquet", StringComparison.OrdinalIgnoreCase))
                foreach (var row in ParquetRowReader.Read(file)) yield return row;
            else if (IsJsonArray(file))
                foreach (var row in ReadJsonArray(file, skipBad, onBad)) yield return row;
            else
                foreach (var rec in JsonlReader.Read(file, skipBad, onBad)) yield return new DataRow(file, rec.Line, rec.Value);
        }
    }

    /// <summary>
    /// How many rows a path holds, counted cheaply for progress totals: non-blank lines of JSONL, elements of a JSON
    /// array, Parquet's row count. Malformed rows are counted too, so it is an upper bound on valid records.
    /// </summary>
    public static long CountRows(string path)
    {
        long rows = 0;
        foreach (var file in Expand(path))
        {
            if (Path.GetExtension(file).Equals(".parquet", StringComparison.OrdinalIgnoreCase)) rows += ParquetRowReader.CountRows(file);
            else if (IsJsonArray(file))
            {
                using var stream = File.OpenRead(file);
                try { rows += (JsonNode.Parse(stream) as JsonArray)?.Count ?? 0; }
                catch (JsonException) { }
            }
            else rows += File.ReadLines(file).LongCount(l => !string.IsNullOrWhiteSpace(l));
        }
        return rows;
    }

    private static bool IsJsonArray(string file)
    {
        if (!Path.GetExtension(file).Equals(".json", StringComparison.OrdinalIgnoreCase)) return false;
        using var reader = new StreamReader(file);
        int c;
        while ((c = reader.Read()) >= 0)
            if (!char.IsWhiteSpace((char)c) && c != '\uFEFF') return c == '[';
        return false;
    }

    private static IEnumerable<DataRow> ReadJsonArray(string file, bool skipBad, Action<RecordFormatException>? onBad)
    {
        JsonArray array;
        try
        {
            using var stream = File.OpenRead(file);
            array = JsonNode.Parse(stream) as JsonArray ?? throw new RecordFormatException(file, 0, "not a JSON array");
        }
        catch (JsonException e) { throw new RecordFormatException(file, 0, "invalid JSON: " + e.Message, e); }
        for (int i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonObject o)
            {
                array[i] = null;   // detach so the row owns its object
                yield return new DataRow(file, i + 1, o);
                continue;
            }
            var error = new RecordFormatException(file, i + 1, "array element is not a JSON object");
            if (!skipBad) throw error;
            onBad?.Invoke(error);
        }
    }
}
