using System.Text.RegularExpressions;

namespace Engine.Methods.Synthesis.SeaPO;

/// <summary>Why an injected response was refused as a negative.</summary>
public enum SeaPoGuard
{
    /// <summary>Nothing left after cleanup.</summary>
    Empty,
    /// <summary>Equal to the correct response after whitespace and case normalisation: no error was injected.</summary>
    Unchanged,
    /// <summary>Length ratio negative/positive outside [MinLengthRatio, MaxLengthRatio]: a rewrite, not an edit.</summary>
    LengthRatio,
    /// <summary>Talks about the edit ("here is the response with an error", "I introduced ...") instead of being a response.</summary>
    MetaText,
}

/// <summary>The verdict on one injected response: the cleaned text and the guard that refused it (null = accepted).</summary>
public sealed record GuardVerdict(string Cleaned, SeaPoGuard? Rejected)
{
    public bool Accepted => Rejected is null;
}

/// <summary>
/// Cleanup and guards of an injected response, as pure functions. The original code strips a known preamble and keeps
/// whatever the model wrote; with no check that an error was injected, an unchanged answer becomes a "negative"
/// identical to the positive, and a chatty one teaches the model to avoid chatter instead of the error. So after
/// stripping preambles the guards refuse, in this order: empty output, output equal to the positive after
/// normalisation, a length ratio outside bounds, and meta-text about the edit.
/// </summary>
public static partial class SeaPoGuards
{
    public static string Name(this SeaPoGuard g) => g switch
    {
        SeaPoGuard.Empty => "empty",
        SeaPoGuard.Unchanged => "unchanged",
        SeaPoGuard.LengthRatio => "length_ratio",
        SeaPoGuard.MetaText => "meta_text",
        _ => throw new ArgumentOutOfRangeException(nameof(g)),
    };

    // A leading line that introduces the rewrite: the prompt's own heading echoed back, or a chat preamble ending in ':'.
    [GeneratedRegex(@"^\s*(#+\s*)?(revised|rewritten|modified)\s+response\s*:?[ \t]*(\r?\n|$)", RegexOptions.IgnoreCase)]
    private static partial Regex HeadingLine();
    [GeneratedRegex(@"^\s*(here\s+is|here's|sure|certainly|okay|ok)\b[^\n]*:[ \t]*(\r?\n|$)", RegexOptions.IgnoreCase)]
    private static partial Regex PreambleLine();
    // Text that talks about the edit: left after cleanup, the output is a comment on the task, not a response.
    [GeneratedRegex(@"(^\s*(here\s+is|here's|sure\b|certainly\b|revised\s+response|rewritten\s+response|modified\s+response))|(\b(with|contains?|introduc\w*|inject\w*|insert\w*)\s+(an?\s+|the\s+)?(deliberate\s+|intentional\s+|specified\s+)?(error|mistake)s?\b)|(\berror\s+type\b)|(\bnote\s*:)", RegexOptions.IgnoreCase)]
    private static partial Regex Meta();
    [GeneratedRegex(@"\s+")] private static partial Regex Spaces();

    /// <summary>Strips leading preamble/heading lines (repeatedly) and surrounding whitespace.</summary>
    public static string Clean(string output)
    {
        var s = output.Trim();
        while (true)
        {
            var m = HeadingLine().Match(s);
            if (!m.Success) m = PreambleLine().Match(s);
            if (!m.Success) return s;
            s = s[m.Length..].Trim();
        }
    }

    /// <summary>Whitespace runs collapsed, trimmed, lower-cased: what "the same response" means for the Unchanged guard.</summary>
    public static string Normalize(string text) => Spaces().Replace(text, " ").Trim().ToLowerInvariant();

    /// <summary>Length of the negative over the positive's, in characters after normalisation.</summary>
    public static double LengthRatio(string positive, string negative)
    {
        int p = Normalize(positive).Length, n = Normalize(negative).Length;
        return p == 0 ? double.PositiveInfinity : (double)n / p;
    }

    public static bool IsMetaText(string cleaned) => Meta().IsMatch(cleaned);

    /// <summary>Cleans <paramref name="rawOutput"/> and applies the guards against <paramref name="positive"/>.</summary>
    public static GuardVerdict Check(string positive, string rawOutput, double minLengthRatio = 0.5, double maxLengthRatio = 2.0)
    {
        var cleaned = Clean(rawOutput);
        if (cleaned.Length == 0) return new(cleaned, SeaPoGuard.Empty);
        if (Normalize(cleaned) == Normalize(positive)) return new(cleaned, SeaPoGuard.Unchanged);
        double r = LengthRatio(positive, cleaned);
        if (r < minLengthRatio || r > maxLengthRatio) return new(cleaned, SeaPoGuard.LengthRatio);
        if (IsMetaText(cleaned)) return new(cleaned, SeaPoGuard.MetaText);
        return new(cleaned, null);
    }
}
