using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Engine.Models.Checkpoints;

/// <summary>
/// Parses and validates a safetensors header completely before anything is exposed. It walks the JSON
/// with a forward-only reader over the mapped bytes, so memory grows only with what the header really
/// contains, never with a number the header claims.
/// </summary>
internal static class SafeTensorsHeaderParser
{
    public const string MetadataKey = "__metadata__";

    internal sealed record Result(Dictionary<string, TensorEntry> Entries, Dictionary<string, string>? Metadata);

    public static Result Parse(ReadOnlySpan<byte> header, long dataLength, string file)
    {
        if (header.StartsWith("\uFEFF"u8))
            throw Fail(file, null, "header starts with a UTF-8 byte-order mark; it must start with '{'");
        if (!Utf8.IsValid(header))
            throw Fail(file, null, $"header is not valid UTF-8 (first invalid byte at header offset {FirstInvalidUtf8(header)})");

        var entries = new Dictionary<string, TensorEntry>(StringComparer.Ordinal);
        Dictionary<string, string>? metadata = null;
        bool sawMetadata = false;
        string? current = null; // attributes JSON syntax errors to the tensor being read
        var reader = new Utf8JsonReader(header, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
            MaxDepth = 64,
        });
        try
        {
            if (!reader.Read()) throw Fail(file, null, "header is blank; expected a JSON object");
            if (reader.TokenType != JsonTokenType.StartObject)
                throw Fail(file, null, $"header must be a JSON object, found {Describe(reader.TokenType)}");
            while (true)
            {
                Next(ref reader);
                if (reader.TokenType == JsonTokenType.EndObject) break;
                var key = reader.GetString()!;
                current = key;
                if (key == MetadataKey)
                {
                    if (sawMetadata) throw Fail(file, null, $"duplicate key '{MetadataKey}' in header");
                    sawMetadata = true;
                    metadata = ReadMetadata(ref reader, file);
                }
                else
                {
                    if (entries.ContainsKey(key)) throw Fail(file, key, "duplicate tensor name in header");
                    entries.Add(key, ReadEntry(ref reader, key, dataLength, file));
                }
                current = null;
            }
        }
        catch (JsonException e)
        {
            throw Fail(file, current, $"header is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // GetString on text that cannot become a .NET string (an escaped lone surrogate).
            throw Fail(file, current, $"header contains a string that is not valid Unicode: {e.Message}", e);
        }

        // Only JSON whitespace may follow the object (writers pad the header with spaces).
        var rest = header[(int)reader.BytesConsumed..];
        int bad = rest.IndexOfAnyExcept(" \t\r\n"u8);
        if (bad >= 0)
            throw Fail(file, null, $"trailing content after the header's JSON object at header offset {reader.BytesConsumed + bad} (only whitespace padding is allowed)");

        CheckNoOverlap(entries, file);
        return new Result(entries, metadata);
    }

    private static Dictionary<string, string>? ReadMetadata(ref Utf8JsonReader r, string file)
    {
        Next(ref r);
        if (r.TokenType == JsonTokenType.Null) return null;
        if (r.TokenType != JsonTokenType.StartObject)
            throw Fail(file, null, $"'{MetadataKey}' must be an object mapping strings to strings, found {Describe(r.TokenType)}");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            Next(ref r);
            if (r.TokenType == JsonTokenType.EndObject) return map;
            var key = r.GetString()!;
            if (map.ContainsKey(key)) throw Fail(file, null, $"duplicate key '{Clip(key)}' in '{MetadataKey}'");
            Next(ref r);
            if (r.TokenType != JsonTokenType.String)
                throw Fail(file, null, $"'{MetadataKey}' value for key '{Clip(key)}' must be a string, found {Describe(r.TokenType)}");
            map.Add(key, r.GetString()!);
        }
    }

    private static TensorEntry ReadEntry(ref Utf8JsonReader r, string name, long dataLength, string file)
    {
        Next(ref r);
        if (r.TokenType != JsonTokenType.StartObject)
            throw Fail(file, name, $"entry must be an object with dtype, shape and data_offsets, found {Describe(r.TokenType)}");
        string? dtype = null;
        List<long>? shape = null;
        long[]? offsets = null;
        while (true)
        {
            Next(ref r);
            if (r.TokenType == JsonTokenType.EndObject) break;
            var field = r.GetString();
            switch (field)
            {
                case "dtype":
                    if (dtype is not null) throw Fail(file, name, "duplicate field 'dtype'");
                    Next(ref r);
                    if (r.TokenType != JsonTokenType.String) throw Fail(file, name, $"'dtype' must be a string, found {Describe(r.TokenType)}");
                    dtype = r.GetString()!;
                    break;
                case "shape":
                    if (shape is not null) throw Fail(file, name, "duplicate field 'shape'");
                    shape = ReadShape(ref r, name, file);
                    break;
                case "data_offsets":
                    if (offsets is not null) throw Fail(file, name, "duplicate field 'data_offsets'");
                    offsets = ReadOffsets(ref r, name, file);
                    break;
                default:
                    r.Skip(); // unknown fields are ignored, as the reference parser does
                    break;
            }
        }
        if (dtype is null) throw Fail(file, name, "missing field 'dtype'");
        if (shape is null) throw Fail(file, name, "missing field 'shape'");
        if (offsets is null) throw Fail(file, name, "missing field 'data_offsets'");
        return Validate(name, dtype, shape, offsets[0], offsets[1], dataLength, file);
    }

    private static TensorEntry Validate(string name, string dtype, List<long> shape, long begin, long end, long dataLength, string file)
    {
        if (!SafeTensorsDTypes.TryGet(dtype, out var info))
            throw Fail(file, name, $"unknown dtype '{Clip(dtype)}' (known: {SafeTensorsDTypes.KnownNames})");

        long numel = 1;
        foreach (var d in shape)
        {
            if (d > int.MaxValue)
                throw Fail(file, name, $"shape {ShapeText(shape)} has dimension {d}, above the largest Engine supports ({int.MaxValue})");
            try { numel = checked(numel * d); }
            catch (OverflowException) { throw Fail(file, name, $"shape {ShapeText(shape)}: element count overflows 64 bits"); }
        }
        long bytes;
        try
        {
            if (info.Bits % 8 == 0) bytes = checked(numel * (info.Bits / 8));
            else
            {
                // Sub-byte types (F4, F6_*) must pack into whole bytes.
                long bits = checked(numel * info.Bits);
                if (bits % 8 != 0)
                    throw Fail(file, name, $"shape {ShapeText(shape)} of {dtype} ({info.Bits}-bit elements) does not fill a whole number of bytes");
                bytes = bits / 8;
            }
        }
        catch (OverflowException) { throw Fail(file, name, $"shape {ShapeText(shape)} of {dtype}: byte size overflows 64 bits"); }

        if (begin > end)
            throw Fail(file, name, $"data_offsets [{begin}, {end}]: begin is after end");
        if (end > dataLength)
            throw Fail(file, name, $"data_offsets [{begin}, {end}] run past the end of the data section ({dataLength} bytes); the file is truncated or the offsets are wrong");
        if (end - begin != bytes)
            throw Fail(file, name, $"data_offsets [{begin}, {end}] hold {end - begin} bytes but shape {ShapeText(shape)} of {dtype} needs {bytes}");

        var dims = new int[shape.Count];
        for (int i = 0; i < dims.Length; i++) dims[i] = (int)shape[i];
        return new TensorEntry(name, dtype, info.Engine, dims, begin, end);
    }

    private static List<long> ReadShape(ref Utf8JsonReader r, string name, string file)
    {
        Next(ref r);
        if (r.TokenType != JsonTokenType.StartArray) throw Fail(file, name, $"'shape' must be an array of non-negative integers, found {Describe(r.TokenType)}");
        var dims = new List<long>();
        while (true)
        {
            Next(ref r);
            if (r.TokenType == JsonTokenType.EndArray) return dims;
            dims.Add(ReadNonNegative(ref r, $"shape dimension {dims.Count}", name, file));
        }
    }

    private static long[] ReadOffsets(ref Utf8JsonReader r, string name, string file)
    {
        Next(ref r);
        if (r.TokenType != JsonTokenType.StartArray) throw Fail(file, name, $"'data_offsets' must be an array [begin, end], found {Describe(r.TokenType)}");
        var v = new long[2];
        int n = 0;
        while (true)
        {
            Next(ref r);
            if (r.TokenType == JsonTokenType.EndArray) break;
            if (n == 2) throw Fail(file, name, "'data_offsets' must hold exactly two integers [begin, end], found more");
            v[n] = ReadNonNegative(ref r, n == 0 ? "data_offsets begin" : "data_offsets end", name, file);
            n++;
        }
        if (n != 2) throw Fail(file, name, $"'data_offsets' must hold exactly two integers [begin, end], found {n}");
        return v;
    }

    /// <summary>A JSON integer in [0, long.MaxValue]; fractions, exponents, signs and huge values are refused.</summary>
    private static long ReadNonNegative(ref Utf8JsonReader r, string what, string name, string file)
    {
        if (r.TokenType != JsonTokenType.Number)
            throw Fail(file, name, $"{what} must be a non-negative integer, found {Describe(r.TokenType)}");
        var s = r.ValueSpan;
        var text = Encoding.ASCII.GetString(s[..Math.Min(s.Length, 40)]) + (s.Length > 40 ? "…" : "");
        if (s[0] == (byte)'-') throw Fail(file, name, $"{what} is negative ({text})");
        if (s.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0) throw Fail(file, name, $"{what} must be an integer, found {text}");
        if (s.Length > 19 || !Utf8Parser.TryParse(s, out long v, out int used) || used != s.Length)
            throw Fail(file, name, $"{what} {text} is too large (limit {long.MaxValue})");
        return v;
    }

    private static void CheckNoOverlap(Dictionary<string, TensorEntry> entries, string file)
    {
        // Empty tensors occupy no bytes, so they cannot overlap anything.
        var used = entries.Values.Where(e => e.End > e.Begin).ToArray();
        Array.Sort(used, (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        for (int i = 1; i < used.Length; i++)
            if (used[i].Begin < used[i - 1].End)
                throw Fail(file, used[i].Name,
                    $"data_offsets [{used[i].Begin}, {used[i].End}] overlap tensor '{Clip(used[i - 1].Name)}' at [{used[i - 1].Begin}, {used[i - 1].End}]");
    }

    private static void Next(ref Utf8JsonReader r)
    {
        if (!r.Read()) throw new JsonException("unexpected end of header");
    }

    private static string Describe(JsonTokenType t) => t switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => t.ToString(),
    };

    private static string ShapeText(List<long> shape) =>
        shape.Count <= 16 ? "[" + string.Join(", ", shape) + "]" : "[" + string.Join(", ", shape.Take(16)) + $", … ({shape.Count} dims)]";

    private static string Clip(string s) => SafeTensorsFormatException.Clip(s);

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> s)
    {
        int i = 0;
        while (i < s.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(s[i..], out _, out int used) != System.Buffers.OperationStatus.Done) return i;
            i += used;
        }
        return -1;
    }

    internal static SafeTensorsFormatException Fail(string file, string? tensor, string rule, Exception? inner = null) =>
        new(file, tensor, rule, inner);
}
