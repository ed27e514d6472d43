using System.Text.Json.Nodes;

namespace Engine.Models.Tokenizers;

static class JsonHelpers
{
    public static string? Str(this JsonNode? node, string key) =>
        node is JsonObject o && o.TryGetPropertyValue(key, out var v) && v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : null;

    public static bool Bool(this JsonNode? node, string key, bool fallback) =>
        node is JsonObject o && o.TryGetPropertyValue(key, out var v) && v is JsonValue jv && jv.TryGetValue<bool>(out var b) ? b : fallback;

    public static int Int(this JsonNode? node, string key, int fallback) =>
        node is JsonObject o && o.TryGetPropertyValue(key, out var v) && v is JsonValue jv && jv.TryGetValue<int>(out var i) ? i : fallback;

    public static string TypeOf(this JsonNode node, string component) =>
        node.Str("type") ?? throw new FormatException($"tokenizer.json: {component} has no \"type\": {node.ToJsonString()}");

    /// <summary>HF "pattern" objects: {"String": "..."} or {"Regex": "..."}.</summary>
    public static System.Text.RegularExpressions.Regex Pattern(JsonNode? pattern, string component)
    {
        if (pattern.Str("Regex") is { } re) return RegexCache.Get(re);
        if (pattern.Str("String") is { } s) return RegexCache.Get(System.Text.RegularExpressions.Regex.Escape(s));
        throw new FormatException($"tokenizer.json: {component} pattern must be {{\"String\"}} or {{\"Regex\"}}, got {pattern?.ToJsonString()}");
    }
}

static class RegexCache
{
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, System.Text.RegularExpressions.Regex> Cache = new();

    /// <summary>Compiles an HF (Oniguruma/Rust-regex) pattern for .NET. Possessive quantifiers are not
    /// supported by .NET and are rewritten as greedy ones, which is what tiktoken-style patterns mean in practice.</summary>
    public static System.Text.RegularExpressions.Regex Get(string pattern) =>
        Cache.GetOrAdd(pattern, static p => new System.Text.RegularExpressions.Regex(
            p.Replace("?+", "?").Replace("++", "+").Replace("*+", "*"),
            System.Text.RegularExpressions.RegexOptions.Compiled | System.Text.RegularExpressions.RegexOptions.CultureInvariant));
}
