using System.Globalization;

namespace Engine.Methods.Evaluation.Testbed;

/// <summary>
/// The one canonical answer-extraction rule: the answer is the text after "Answer:" on the LAST line of the
/// response that starts with "Answer:" (leading spaces allowed), trimmed. Reasoning lines come before it.
/// A response without such a line has no answer.
/// </summary>
public static class AnswerText
{
    public const string Prefix = "Answer:";

    public static string? Extract(string response)
    {
        string? found = null;
        foreach (var raw in response.Split('\n'))
        {
            var line = raw.TrimStart();
            if (line.StartsWith(Prefix, StringComparison.Ordinal)) found = line[Prefix.Length..].Trim();
        }
        return found;
    }

    public static string Line(string answer) => Prefix + " " + answer;
}

/// <summary>The exact comparison rules families choose from.</summary>
public static class AnswerMatch
{
    /// <summary>Integers: optional sign and digits only; a single trailing period is tolerated.</summary>
    public static bool Integer(string expected, string extracted) =>
        TryInt(expected, out var a) && TryInt(StripPeriod(extracted), out var b) && a == b;

    /// <summary>Byte-exact after trimming (case matters).</summary>
    public static bool Exact(string expected, string extracted) => string.Equals(expected.Trim(), extracted.Trim(), StringComparison.Ordinal);

    /// <summary>Labels: exact up to case and a trailing period.</summary>
    public static bool Label(string expected, string extracted) =>
        string.Equals(expected.Trim(), StripPeriod(extracted), StringComparison.OrdinalIgnoreCase);

    /// <summary>Comma-separated integer lists: same integers in the same order; any spacing around commas.</summary>
    public static bool IntList(string expected, string extracted) =>
        TryIntList(expected, out var a) && TryIntList(StripPeriod(extracted), out var b) && a.SequenceEqual(b);

    /// <summary>Text equal after collapsing runs of whitespace (case and punctuation matter).</summary>
    public static bool Text(string expected, string extracted) => string.Equals(Collapse(expected), Collapse(extracted), StringComparison.Ordinal);

    public static string Collapse(string s) => string.Join(' ', s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static string StripPeriod(string s)
    {
        s = s.Trim();
        return s.EndsWith('.') ? s[..^1].TrimEnd() : s;
    }

    private static bool TryInt(string s, out long value)
    {
        s = s.Trim();
        value = 0;
        if (s.Length == 0) return false;
        int start = s[0] == '-' ? 1 : 0;
        if (start == s.Length) return false;
        for (int i = start; i < s.Length; i++) if (s[i] < '0' || s[i] > '9') return false;
        return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    private static bool TryIntList(string s, out List<long> values)
    {
        values = [];
        foreach (var part in s.Split(','))
        {
            if (!TryInt(part, out var v)) return false;
            values.Add(v);
        }
        return true;
    }
}
