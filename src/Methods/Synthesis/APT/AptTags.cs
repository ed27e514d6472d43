using System.Text.Json.Nodes;

namespace Engine.Methods.Synthesis.APT;

/// <summary>
/// Tags as APT's retrieval uses them: lower-cased, trimmed, without duplicates, in their first order. A record's own
/// <c>tags</c> field is used when present — a plain list as it is, CDT's object of dimensions as "dimension:value"
/// (so a cognition code and a domain name never collide). Otherwise a teacher tags the question with
/// <c>Prompts/tagger.txt</c>; its reply must be a JSON array of strings, or InsTag's [{"tag": ..., "explanation": ...}].
/// </summary>
public static class AptTags
{
    /// <summary>The tagger prompt (the project's wording) with a {question} placeholder.</summary>
    public static string TaggerPrompt { get; } = AptPrompts.Load("tagger.txt");

    public static IReadOnlyList<string> Normalize(IEnumerable<string> tags)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>();
        foreach (var t in tags)
        {
            var n = string.Join(' ', t.Trim().ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            if (n.Length > 0 && seen.Add(n)) result.Add(n);
        }
        return result;
    }

    /// <summary>A record's own tags (dimension "" is a plain list), flattened and normalised; empty when it has none.</summary>
    public static IReadOnlyList<string> FromFields(IReadOnlyDictionary<string, IReadOnlyList<string>> fields) =>
        Normalize(fields.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .SelectMany(kv => kv.Value.Select(v => kv.Key.Length == 0 ? v : kv.Key + ":" + v)));

    /// <summary>Why a tagger's JSON cannot be used, or null when it can (for the teacher's bounded retry).</summary>
    public static string? Problem(JsonNode node) => TryRead(node, out _, out var why) ? null : why;

    /// <summary>The tags of a tagger's JSON reply: an array of strings or of {"tag": string} objects; {"tags": [...]} is unwrapped.</summary>
    public static bool TryRead(JsonNode node, out IReadOnlyList<string> tags, out string why)
    {
        tags = [];
        if (node is JsonObject o && o["tags"] is JsonArray inner) node = inner;
        if (node is not JsonArray list) { why = "the reply must be a JSON array of tag strings"; return false; }
        var raw = new List<string>();
        foreach (var item in list)
        {
            if (item is JsonValue v && v.TryGetValue<string>(out var s)) raw.Add(s);
            else if (item is JsonObject t && t["tag"] is JsonValue tv && tv.TryGetValue<string>(out var ts)) raw.Add(ts);
            else { why = "every element must be a tag string"; return false; }
        }
        tags = Normalize(raw);
        if (tags.Count == 0) { why = "the array holds no tags"; return false; }
        why = "";
        return true;
    }
}
