using System.Text.RegularExpressions;

namespace Engine.Methods.Synthesis.LongMT;

/// <summary>Whole-word matching and word splitting shared by the entity memory and the consistency score.</summary>
public static partial class TextMatch
{
    /// <summary>True when <paramref name="word"/> occurs in <paramref name="text"/> not preceded or followed by a letter or digit (case-sensitive).</summary>
    public static bool ContainsWord(string text, string word)
    {
        if (string.IsNullOrEmpty(word)) return false;
        for (int at = text.IndexOf(word, StringComparison.Ordinal); at >= 0; at = text.IndexOf(word, at + 1, StringComparison.Ordinal))
        {
            bool before = at > 0 && char.IsLetterOrDigit(text[at - 1]);
            bool after = at + word.Length < text.Length && char.IsLetterOrDigit(text[at + word.Length]);
            if (!before && !after) return true;
        }
        return false;
    }

    /// <summary>Words of a sentence: runs of letters, digits, apostrophes and hyphens.</summary>
    public static IEnumerable<string> Words(string text) => WordPattern().Matches(text).Select(m => m.Value);

    [GeneratedRegex(@"[\p{L}\p{N}][\p{L}\p{N}'\-]*")]
    private static partial Regex WordPattern();
}
