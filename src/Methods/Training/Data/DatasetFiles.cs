using Engine.Methods.Data;

namespace Engine.Methods.Training.Data;

/// <summary>
/// Reads dataset rows from JSONL (<c>.jsonl</c>, <c>.json</c> with one object per line) or Parquet
/// (<c>.parquet</c>) files, or from every such file in a folder (sorted by name, so the order is stable).
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
            else
                foreach (var rec in JsonlReader.Read(file, skipBad, onBad)) yield return new DataRow(file, rec.Line, rec.Value);
        }
    }
}
