using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Methods.Core.Data;

/// <summary>
/// The optional fields methods read beside the content, checked once when the record is parsed: <c>id</c> (string or
/// number), <c>group</c>, <c>domain</c>, <c>task</c> (string or integer; CommonIT groups by task, DRPruning by domain),
/// <c>weight</c> (non-negative number) and <c>tags</c>: a list of strings (InsTag style, kept under the dimension "")
/// or an object of dimension → list of strings (CDT style: cognition, domain, task). A JSON null counts as absent.
/// Every other field stays in <see cref="DataRow.Value"/> and is carried into outputs unchanged.
/// </summary>
public sealed record RecordFields(string? Id, string? Group, double? Weight, string? Domain, string? Task,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Tags)
{
    public static readonly RecordFields None = new(null, null, null, null, null, new Dictionary<string, IReadOnlyList<string>>());

    public static RecordFields Read(DataRow row)
    {
        var o = row.Value;
        return new RecordFields(
            IdOf(o),
            Label(row, o, "group"),
            ReadWeight(row, o),
            Label(row, o, "domain"),
            Label(row, o, "task"),
            ReadTags(row, o));
    }

    /// <summary>The record's <c>id</c> as a string (a number keeps its JSON spelling), or null.</summary>
    public static string? IdOf(JsonObject o) => o["id"] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        _ => null,
    };

    private static string? Label(DataRow row, JsonObject o, string field)
    {
        var node = o[field];
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        if (JsonFields.TryInteger(node, out var n)) return n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        throw JsonFields.Fail(row, $"\"{field}\" must be a string or an integer, got {JsonFields.Kind(node)}", field);
    }

    private static double? ReadWeight(DataRow row, JsonObject o)
    {
        var node = o["weight"];
        if (node is null) return null;
        if (JsonFields.TryNumber(node, out var w) && double.IsFinite(w) && w >= 0) return w;
        throw JsonFields.Fail(row, $"\"weight\" must be a non-negative number, got {node.ToJsonString()}", "weight");
    }

    private static IReadOnlyDictionary<string, IReadOnlyList<string>> ReadTags(DataRow row, JsonObject o)
    {
        var tags = new Dictionary<string, IReadOnlyList<string>>();
        switch (o["tags"])
        {
            case null: break;
            case JsonArray list: tags[""] = Strings(row, list, "tags"); break;
            case JsonObject dims:
                foreach (var (dim, node) in dims)
                {
                    if (node is null) continue;
                    tags[dim] = node is JsonArray l ? Strings(row, l, $"tags.{dim}")
                        : throw JsonFields.Fail(row, $"\"tags.{dim}\" must be a list of strings, got {JsonFields.Kind(node)}", $"tags.{dim}");
                }
                break;
            case var other:
                throw JsonFields.Fail(row, $"\"tags\" must be a list of strings or an object of lists, got {JsonFields.Kind(other)}", "tags");
        }
        return tags;
    }

    private static string[] Strings(DataRow row, JsonArray list, string field)
    {
        var tags = new string[list.Count];
        for (int i = 0; i < list.Count; i++) tags[i] = JsonFields.AsString(row, list[i], $"{field}[{i}]");
        return tags;
    }
}
