using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Methods.Teachers;

/// <summary>
/// Finds the JSON value in a model's free-text answer: the first ```json (or ```) fenced block that parses, else the
/// first balanced {...} or [...] that parses. Models wrap JSON in prose and fences; this takes what they meant.
/// </summary>
public static class TeacherJson
{
    public static bool TryExtract(string text, out JsonNode? value, out string error)
    {
        foreach (var block in FencedBlocks(text))
            if (TryParse(block, out value)) { error = ""; return true; }
        for (int start = 0; start < text.Length; start++)
        {
            if (text[start] is not ('{' or '[')) continue;
            int end = BalancedEnd(text, start, out _);
            if (end > 0 && TryParse(text[start..end], out value)) { error = ""; return true; }
        }
        value = null;
        error = text.Contains('{') || text.Contains('[')
            ? "the answer holds no complete, valid JSON object or array"
            : "the answer holds no JSON object or array";
        return false;
    }

    private static bool TryParse(string s, out JsonNode? value)
    {
        try
        {
            value = JsonNode.Parse(s);
            return value is JsonObject or JsonArray;
        }
        catch (JsonException) { value = null; return false; }
    }

    private static IEnumerable<string> FencedBlocks(string text)
    {
        int at = 0;
        while ((at = text.IndexOf("```", at, StringComparison.Ordinal)) >= 0)
        {
            int bodyStart = text.IndexOf('\n', at);
            if (bodyStart < 0) yield break;
            int close = text.IndexOf("```", bodyStart, StringComparison.Ordinal);
            if (close < 0) yield break;
            yield return text[(bodyStart + 1)..close];
            at = close + 3;
        }
    }

    /// <summary>Index after the bracket that closes the one at <paramref name="start"/> (strings and escapes respected), or −1 and whether the text ended inside a string.</summary>
    public static int BalancedEnd(string s, int start, out bool endedInString)
    {
        int depth = 0;
        bool inString = false, escaped = false;
        for (int i = start; i < s.Length; i++)
        {
            char c = s[i];
            if (inString)
            {
                if (escaped) escaped = false;
                else if (c == '\\') escaped = true;
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"') inString = true;
            else if (c is '{' or '[') depth++;
            else if (c is '}' or ']' && --depth == 0) { endedInString = false; return i + 1; }
        }
        endedInString = inString;
        return -1;
    }
}

/// <summary>A teacher gave no usable answer within the allowed attempts; every answer is kept for the report.</summary>
public sealed class TeacherAnswerException(string message, IReadOnlyList<string> answers) : Exception(message)
{
    public IReadOnlyList<string> Answers { get; } = answers;
}
