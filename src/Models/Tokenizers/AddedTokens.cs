using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Engine.Models.Tokenizers;

/// <summary>An entry of tokenizer.json "added_tokens": matched in the raw text before the model runs.</summary>
public sealed record AddedToken(int Id, string Content, bool Special, bool Lstrip = false, bool Rstrip = false,
    bool Normalized = false, bool SingleWord = false)
{
    internal static AddedToken FromJson(JsonNode n) => new(
        n["id"]!.GetValue<int>(), n.Str("content") ?? throw new FormatException("tokenizer.json: added token without content"),
        n.Bool("special", false), n.Bool("lstrip", false), n.Bool("rstrip", false), n.Bool("normalized", false), n.Bool("single_word", false));

    internal JsonObject ToJson() => new()
    {
        ["id"] = Id, ["content"] = Content, ["single_word"] = SingleWord, ["lstrip"] = Lstrip,
        ["rstrip"] = Rstrip, ["normalized"] = Normalized, ["special"] = Special,
    };
}

/// <summary>Splits text into runs of plain text and added tokens. Longest content wins where two start at
/// the same place; lstrip/rstrip tokens swallow the whitespace beside them, as in HF.</summary>
sealed class AddedTokenSplitter
{
    readonly Regex? _regex;
    readonly Dictionary<string, AddedToken> _byContent;

    public AddedTokenSplitter(IReadOnlyList<AddedToken> tokens)
    {
        _byContent = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (var t in tokens) _byContent.TryAdd(t.Content, t);
        if (tokens.Count == 0) return;
        var alternatives = tokens.Where(t => t.Content.Length > 0)
            .OrderByDescending(t => t.Content.Length).ThenBy(t => t.Id)
            .Select(t => (t.Lstrip ? @"\s*" : "") + Regex.Escape(t.Content) + (t.Rstrip ? @"\s*" : ""));
        _regex = new Regex(string.Join("|", alternatives), RegexOptions.CultureInvariant | RegexOptions.Compiled);
    }

    /// <summary>Yields (text, null) for plain runs and (null, token) for matches, in order.</summary>
    public IEnumerable<(int Start, int Length, AddedToken? Token)> Split(string text)
    {
        if (_regex is null) { yield return (0, text.Length, null); yield break; }
        int pos = 0;
        for (var m = _regex.Match(text); m.Success; m = m.NextMatch())
        {
            var token = Resolve(m.Value);
            if (token is null) continue;
            if (m.Index > pos) yield return (pos, m.Index - pos, null);
            yield return (m.Index, m.Length, token);
            pos = m.Index + m.Length;
        }
        if (pos < text.Length) yield return (pos, text.Length - pos, null);
    }

    AddedToken? Resolve(string matched) =>
        _byContent.GetValueOrDefault(matched) ?? _byContent.GetValueOrDefault(matched.TrimStart())
        ?? _byContent.GetValueOrDefault(matched.TrimEnd()) ?? _byContent.GetValueOrDefault(matched.Trim());
}
