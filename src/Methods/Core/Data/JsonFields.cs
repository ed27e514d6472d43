using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Methods.Core.Data;

/// <summary>Typed field access for one row; every failure is a <see cref="RecordFormatException"/> naming row and field.</summary>
internal static class JsonFields
{
    public static RecordFormatException Fail(DataRow row, string message, string? field = null) => new(row.Source, row.Line, message, null, field);

    public static JsonNode Require(DataRow row, JsonObject o, string field) =>
        o[field] ?? throw Fail(row, o.ContainsKey(field) ? $"\"{field}\" is null" : $"missing field \"{field}\"", field);

    public static string RequireString(DataRow row, JsonObject o, string field)
    {
        var s = AsString(row, Require(row, o, field), field);
        if (string.IsNullOrWhiteSpace(s)) throw Fail(row, $"\"{field}\" is empty", field);
        return s;
    }

    public static string? OptionalString(DataRow row, JsonObject o, string field) =>
        o[field] is null ? null : AsString(row, o[field], field);

    public static string AsString(DataRow row, JsonNode? node, string field) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Fail(row, $"\"{field}\" must be a string, got {Kind(node)}", field);

    /// <summary>A JSON number as double, whether it came from parsed text or was created from a CLR value (Parquet).</summary>
    public static bool TryNumber(JsonNode? node, out double value)
    {
        value = 0;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number &&
               double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>A JSON integer as long (1.0 is not accepted: ids and token ids are written as integers).</summary>
    public static bool TryInteger(JsonNode? node, out long value)
    {
        value = 0;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number &&
               long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    public static string Kind(JsonNode? n) => n switch
    {
        null => "null",
        JsonArray => "a list",
        JsonObject => "an object",
        JsonValue v => v.GetValueKind().ToString().ToLowerInvariant(),
        _ => n.GetType().Name,
    };
}
