using System.Text.RegularExpressions;

namespace Engine.Methods.Selection.CDT;

/// <summary>
/// What one tagging answer gave: the labels in the answer's order (canonical spelling, at most the dimension's
/// maximum), the values that are not labels (reported, never used), how many labels beyond the maximum were dropped,
/// and whether the answer used the asked-for JSON key.
/// </summary>
public sealed record CdtParsedAnswer(IReadOnlyList<string> Labels, IReadOnlyList<string> Unknown, int Dropped, bool Keyed)
{
    public bool HasLabel => Labels.Count > 0;
}

/// <summary>
/// The tolerant extractor. The paper's post-processing turns single quotes into double quotes, takes every
/// <c>"skill": "…"</c> (or <c>"domain"</c>, <c>"task"</c>) value with a regular expression and drops values outside the
/// label set. This does the same and more, because small or unaligned taggers answer loosely:
/// <list type="bullet">
/// <item>keys in any case and a few synonyms (<c>skills</c>, <c>subdomain</c>, <c>task_type</c>, ...), values quoted,
/// bare or as a list;</item>
/// <item>a value is matched to a label ignoring case, quotes and surrounding punctuation; failing that, a label named
/// inside it as a whole word ("NM: number facility", "the Physics subdomain");</item>
/// <item>an answer with no such key at all (prose, a bare label, a label in quotes) is scanned for label names as whole
/// words, in order of appearance (two-letter cognition codes only in upper case, so "na" or "pr" in prose is not a code).</item>
/// </list>
/// Values that match no label are returned as <see cref="CdtParsedAnswer.Unknown"/> so they can be counted.
/// </summary>
public static partial class CdtAnswerParser
{
    private static readonly char[] Wrapping = [' ', '\t', '\r', '\n', '"', '\'', '`', '*', '.', ',', ';', ':', '(', ')', '[', ']', '{', '}', '<', '>'];

    public static CdtParsedAnswer Parse(string answer, CdtLabels labels)
    {
        var text = Normalize(answer ?? "");
        var found = new List<string>();
        var unknown = new List<string>();
        bool keyed = false;
        foreach (Match m in KeyValue().Matches(text))
        {
            if (!IsKeyOf(m.Groups["key"].Value, labels.Dimension)) continue;
            keyed = true;
            foreach (var value in Values(m.Groups["value"].Value))
            {
                var v = value.Trim(Wrapping);
                if (v.Length == 0) continue;
                var hits = labels.Canonical(v) is { } exact ? [exact] : Mentions(v, labels);
                if (hits.Count == 0) unknown.Add(v.Length > 60 ? v[..57] + "..." : v);
                found.AddRange(hits);
            }
        }
        if (!keyed) found.AddRange(Mentions(text, labels));
        var distinct = found.Distinct(StringComparer.Ordinal).ToList();
        int max = labels.Dimension.MaxLabels();
        return new CdtParsedAnswer(distinct.Take(max).ToArray(), unknown.Distinct(StringComparer.Ordinal).ToArray(), Math.Max(0, distinct.Count - max), keyed);
    }

    /// <summary>Typographic quotes to ASCII, then single quotes to double quotes (the paper's step), so Python-style dicts read as JSON.</summary>
    private static string Normalize(string s) => s
        .Replace('\u201C', '"').Replace('\u201D', '"').Replace('\u2018', '\'').Replace('\u2019', '\'')
        .Replace('\'', '"');

    private static bool IsKeyOf(string key, CdtDimension d)
    {
        var k = key.ToLowerInvariant().Replace('_', ' ').Replace('-', ' ');
        return d switch
        {
            CdtDimension.Cognition => k is "skill" or "skills" or "cognition" or "cognitive skill" or "cognitive skills" or "code",
            CdtDimension.Domain => k is "domain" or "subdomain" or "sub domain" or "domains",
            _ => k is "task" or "task type" or "tasktype" or "type" or "tasks",
        };
    }

    /// <summary>A quoted value, the items of a list, or a bare value.</summary>
    private static IEnumerable<string> Values(string raw)
    {
        raw = raw.Trim();
        if (raw.StartsWith('[')) return raw.Trim('[', ']').Split(',');
        if (raw.StartsWith('"')) return [raw.Trim('"')];
        return [raw];
    }

    /// <summary>Labels named in <paramref name="text"/> as whole words, in order of appearance; longer names win overlaps.</summary>
    private static List<string> Mentions(string text, CdtLabels labels)
    {
        var taken = new bool[text.Length];
        var hits = new List<(int At, string Label)>();
        foreach (var label in labels.Names.OrderByDescending(n => n.Length).ThenBy(n => n, StringComparer.Ordinal))
        {
            // Short codes ("NM", "RQ") only in upper case: in prose "na", "pr", "fe" are not skills.
            var cmp = label.Length <= 2 ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
            for (int at = text.IndexOf(label, cmp); at >= 0; at = text.IndexOf(label, at + 1, cmp))
            {
                int end = at + label.Length;
                if (at > 0 && char.IsLetterOrDigit(text[at - 1]) || end < text.Length && char.IsLetterOrDigit(text[end])) continue;
                if (Enumerable.Range(at, label.Length).Any(i => taken[i])) continue;
                for (int i = at; i < end; i++) taken[i] = true;
                hits.Add((at, label));
            }
        }
        return hits.OrderBy(h => h.At).Select(h => h.Label).ToList();
    }

    // "key" : value, with the key quoted or not; the value is a quoted string, a [list] or everything up to , } ] or a line end.
    [GeneratedRegex("\"?(?<key>[A-Za-z][A-Za-z _-]{0,24}?)\"?\\s*[:=]\\s*(?<value>\"[^\"\\n]*\"|\\[[^\\]]*\\]|[^,}\\]\\n]+)")]
    private static partial Regex KeyValue();
}
