using System.Text.RegularExpressions;

namespace Engine.Methods.Speech.SelfPowered;

/// <summary>Which generated targets are kept (the method's post-filter, or ours for answers that do not end in punctuation).</summary>
public enum TargetFilter
{
    /// <summary>The released code's rule: keep a target whose last character is ASCII punctuation or one of ，。！？；：“”‘’（）《》 (drops answers cut at the token limit).</summary>
    Punctuation,
    /// <summary>Keep a target unless generation stopped at the token limit (for short answers without final punctuation, such as the testbed's).</summary>
    Finished,
    /// <summary>Keep every target.</summary>
    None,
}

/// <summary>
/// The method's small rules as pure functions, checkable by hand: the per-record draw of a category and template,
/// placeholder filling, the prompt-length and target filters.
/// </summary>
public static partial class SelfPoweredRules
{
    /// <summary>
    /// Category c and template j of record <paramref name="index"/>: c uniform over <paramref name="templatesPerCategory"/>.Count
    /// (equal shares: the released code does not say), then j uniform over that category's templates, from SplitMix64 of
    /// (seed, index) — so a record's instruction depends only on its index and the seed, in any shard or resumed run.
    /// </summary>
    public static (int Category, int Template) Draw(ulong seed, long index, IReadOnlyList<int> templatesPerCategory)
    {
        if (templatesPerCategory.Count == 0 || templatesPerCategory.Any(n => n < 1)) throw new ArgumentException("Every category needs at least one template.");
        ulong state = seed * 0x9E3779B97F4A7C15UL ^ (ulong)index;
        ulong a = SplitMix(ref state), b = SplitMix(ref state);
        int c = (int)(a % (ulong)templatesPerCategory.Count);
        return (c, (int)(b % (ulong)templatesPerCategory[c]));
    }

    private static ulong SplitMix(ref ulong s)
    {
        ulong z = s += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [GeneratedRegex(@"\{(instruction|transcript|speech)\}")]
    private static partial Regex Placeholder();

    /// <summary>Replace {instruction}, {transcript} and {speech} in one pass (a value that contains a placeholder stays as it is).</summary>
    public static string Fill(string template, string instruction, string? transcript = null, string? speech = null) =>
        Placeholder().Replace(template, m => m.Groups[1].Value switch
        {
            "instruction" => instruction,
            "transcript" => transcript ?? throw new ArgumentException($"The template '{Short(template)}' needs a {{transcript}}."),
            _ => speech ?? throw new ArgumentException($"The template '{Short(template)}' needs {{speech}}."),
        });

    /// <summary>The text before and after the one {speech} placeholder of a filled speech template.</summary>
    public static (string Prefix, string Suffix) SplitAtSpeech(string filled, string marker)
    {
        int at = filled.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0 || filled.IndexOf(marker, at + marker.Length, StringComparison.Ordinal) >= 0)
            throw new ArgumentException("A speech prompt must hold the speech exactly once.");
        return (filled[..at], filled[(at + marker.Length)..]);
    }

    /// <summary>The released code generates only for prompts of 0 &lt; tokens &lt; 150 (LLaMA tokenizer, BOS included).</summary>
    public static bool PromptFits(int promptTokens, int maxPromptTokens) => promptTokens > 0 && promptTokens < maxPromptTokens;

    private const string WidePunctuation = "，。！？；：“”‘’（）《》";

    /// <summary>The released post-filter: the last character (after trailing whitespace) is ASCII punctuation or wide punctuation.</summary>
    public static bool EndsWithPunctuation(string text)
    {
        var t = text.TrimEnd();
        if (t.Length == 0) return false;
        char c = t[^1];
        return (c < 128 && char.IsPunctuation(c)) || (c < 128 && char.IsSymbol(c)) || WidePunctuation.Contains(c);
    }

    /// <summary>Whether <paramref name="filter"/> keeps a generated target that stopped for <paramref name="finishReason"/> ("eos", "stop", "length").</summary>
    public static bool Keeps(TargetFilter filter, string text, string finishReason) => filter switch
    {
        TargetFilter.Punctuation => EndsWithPunctuation(text),
        TargetFilter.Finished => finishReason != "length" && text.Trim().Length > 0,
        _ => true,
    };

    /// <summary>The training filter: keep an example whose target (with the end token) has more than <paramref name="minExclusive"/> and fewer than <paramref name="maxExclusive"/> tokens (the code: 5 &lt; n &lt; 2048).</summary>
    public static bool TargetFits(int targetTokens, int minExclusive, int maxExclusive) => targetTokens > minExclusive && targetTokens < maxExclusive;

    private static string Short(string s) => s.Length > 60 ? s[..57] + "…" : s;
}
