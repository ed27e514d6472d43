using System.Collections;
using System.Text;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Parquet;
using Parquet.Serialization;

namespace Engine.Methods.Core.Data;

/// <summary>
/// Streams a Parquet file one row group at a time as JSON objects (row numbers are 1-based over the whole
/// file). Nested columns — e.g. Hugging Face chat data's <c>messages: list&lt;struct&lt;role, content&gt;&gt;</c> —
/// become JSON arrays of objects; null or absent values are left out of the object, as JSONL would.
/// </summary>
public static class ParquetRowReader
{
    public static IEnumerable<DataRow> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Input file not found: {path}", path);
        int groups;
        try
        {
            groups = Sync(async () =>
            {
                await using var probe = File.OpenRead(path);
                await using var reader = await ParquetReader.CreateAsync(probe);
                return reader.RowGroupCount;
            });
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or InvalidOperationException)
        {
            throw new RecordFormatException(path, 0, "not a readable Parquet file: " + e.Message, e);
        }

        long row = 0;
        for (int g = 0; g < groups; g++)
        {
            int group = g;
            var data = Sync(async () =>
            {
                await using var stream = File.OpenRead(path);
                return (await ParquetSerializer.DeserializeUntypedAsync(stream, null, group)).Data;
            });
            foreach (var dict in data)
            {
                row++;
                yield return new DataRow(path, row, ToObject(dict));
            }
        }
    }

    /// <summary>Rows in the file, from its metadata.</summary>
    public static long CountRows(string path)
    {
        try
        {
            return Sync(async () =>
            {
                await using var stream = File.OpenRead(path);
                await using var reader = await ParquetReader.CreateAsync(stream);
                return reader.Metadata?.NumRows ?? 0L;
            });
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or InvalidOperationException)
        {
            throw new RecordFormatException(path, 0, "not a readable Parquet file: " + e.Message, e);
        }
    }

    /// <summary>Runs Parquet.Net's async API to completion off any synchronisation context (no deadlock under UI/test contexts).</summary>
    private static T Sync<T>(Func<Task<T>> work) => Task.Run(work).GetAwaiter().GetResult();

    private static JsonObject ToObject(IEnumerable<KeyValuePair<string, object>> dict)
    {
        var o = new JsonObject();
        foreach (var (key, value) in dict)
            if (ToNode(value) is { } node) o[key] = node;
        return o;
    }

    /// <summary>Parquet.Net's untyped values (strings may come as ReadOnlyMemory&lt;char&gt;) to JSON.</summary>
    private static JsonNode? ToNode(object? v) => v switch
    {
        null => null,
        string s => JsonValue.Create(s),
        ReadOnlyMemory<char> m => JsonValue.Create(m.ToString()),
        ReadOnlyMemory<byte> b => JsonValue.Create(Encoding.UTF8.GetString(b.Span)),
        byte[] b => JsonValue.Create(Encoding.UTF8.GetString(b)),
        bool x => JsonValue.Create(x),
        sbyte or byte or short or ushort or int or uint or long => JsonValue.Create(Convert.ToInt64(v)),
        ulong x => JsonValue.Create(x),
        float x => JsonValue.Create((double)x),
        double x => JsonValue.Create(x),
        decimal x => JsonValue.Create(x),
        DateTime x => JsonValue.Create(x.ToString("O")),
        DateTimeOffset x => JsonValue.Create(x.ToString("O")),
        IEnumerable<KeyValuePair<string, object>> d => ToObject(d),
        IEnumerable e => new JsonArray(e.Cast<object?>().Select(ToNode).ToArray()),
        _ => JsonValue.Create(v.ToString()),
    };
}
