using System.Text.RegularExpressions;

namespace Engine.Methods.Synthesis.LongMT;

/// <summary>
/// Sentence markers of the page translation prompt: "#i &lt;s&gt;sentence&lt;/s&gt;" per line. The answer is parsed
/// with Loong's rule (a "&lt;/s&gt;" appended when the answer does not end with one, then every
/// "#i &lt;s&gt;…&lt;/s&gt;" in order) and is aligned when it has exactly as many sentences as the page.
/// </summary>
public static partial class PageMarkup
{
    public static string Render(IReadOnlyList<string> lines) => string.Join("\n", lines.Select((l, i) => $"#{i} <s>{l}</s>"));

    /// <summary>The sentences of an answer, in order (markers' numbers are not checked; the count is).</summary>
    public static List<string> Parse(string answer)
    {
        var text = answer.TrimEnd();
        if (!text.EndsWith("</s>", StringComparison.Ordinal)) text += "</s>";
        return Marked().Matches(text).Select(m => m.Groups[1].Value.Trim()).ToList();
    }

    public static bool IsAligned(IReadOnlyList<string> parsed, int sentences) => parsed.Count == sentences;

    [GeneratedRegex(@"\d+\s*<s>(.*?)</s>", RegexOptions.Singleline)]
    private static partial Regex Marked();
}
