using System.Text.Json.Nodes;

namespace Engine.Models.Tokenizers;

/// <summary>tokenizer.json "normalizer": text → text before pre-tokenization.</summary>
abstract class Normalizer
{
    public abstract string Normalize(string text);

    public static Normalizer? FromJson(JsonNode? node)
    {
        if (node is null) return null;
        string type = node.TypeOf("normalizer");
        return type switch
        {
            "Sequence" => new SequenceNormalizer(((JsonArray)node["normalizers"]!).Select(n => FromJson(n)!).ToArray()),
            "Prepend" => new FuncNormalizer(t => t.Length == 0 ? t : node.Str("prepend") + t),
            "Replace" => ReplaceNormalizer(node),
            "NFC" => new FuncNormalizer(t => UnicodeNormalization.Normalize(t, 0)),
            "NFD" => new FuncNormalizer(t => UnicodeNormalization.Normalize(t, 1)),
            "NFKC" => new FuncNormalizer(t => UnicodeNormalization.Normalize(t, 2)),
            "NFKD" => new FuncNormalizer(t => UnicodeNormalization.Normalize(t, 3)),
            "Lowercase" => new FuncNormalizer(t => t.ToLowerInvariant()),
            "Strip" => StripNormalizer(node.Bool("left", true), node.Bool("right", true)),
            _ => throw new NotSupportedException($"tokenizer.json: normalizer type \"{type}\" is not supported"),
        };
    }

    static Normalizer ReplaceNormalizer(JsonNode node)
    {
        var regex = JsonHelpers.Pattern(node["pattern"], "Replace normalizer");
        string content = node.Str("content") ?? "";
        return new FuncNormalizer(t => regex.Replace(t, content.Replace("$", "$$")));
    }

    static Normalizer StripNormalizer(bool left, bool right) =>
        new FuncNormalizer(t => left && right ? t.Trim() : left ? t.TrimStart() : right ? t.TrimEnd() : t);

    sealed class SequenceNormalizer(Normalizer[] items) : Normalizer
    {
        public override string Normalize(string text)
        {
            foreach (var n in items) text = n.Normalize(text);
            return text;
        }
    }

    sealed class FuncNormalizer(Func<string, string> f) : Normalizer
    {
        public override string Normalize(string text) => f(text);
    }
}
