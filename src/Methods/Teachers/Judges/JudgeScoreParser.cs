using System.Globalization;
using System.Text.RegularExpressions;

namespace Engine.Methods.Teachers.Judges;

/// <summary>
/// Reads the score at the end of a grader's output: a marker (<c>[RESULT]</c>, <c>[SCORE]</c>, <c>Score:</c>,
/// <c>Result:</c>, <c>score of</c>), an optional bracket, an integer, an optional closing bracket or <c>/5</c> or
/// <c>out of 5</c>, and then nothing else. The anchor at the end matters: graders echo the prompt's format line
/// ("[RESULT] (an integer from 1 to 5)") and rubric lines ("Score 5: ...") in their feedback, and an unanchored
/// search reads those as scores (a known failure of graders that search anywhere). Markdown emphasis, a trailing
/// period and end-of-text tokens are tolerated; a number outside the scale is no score.
/// </summary>
public static partial class JudgeScoreParser
{
    [GeneratedRegex(@"(?:\[RESULT\]|\[SCORE\]|\bscore\s*:|\bresult\s*:|\bscore\s+of)\s*:?\s*[\[(]?\s*(\d+)\s*[\])]?\s*(?:/\s*5|out\s+of\s+5)?\s*[.!]?\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Tail();

    /// <summary>Chat end markers a raw completion may still carry (&lt;/s&gt;, &lt;|im_end|&gt;, &lt;|eot_id|&gt;, ...).</summary>
    [GeneratedRegex(@"(?:\s*(?:</s>|<\|[a-z_]+\|>))+\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex EndTokens();

    /// <summary>The score in [<paramref name="min"/>, <paramref name="max"/>] at the end of <paramref name="output"/>, or null.</summary>
    public static int? Parse(string? output, int min = 1, int max = 5)
    {
        if (string.IsNullOrWhiteSpace(output)) return null;
        var text = EndTokens().Replace(output, "").Replace("*", "").Replace("`", "").TrimEnd();
        var m = Tail().Match(text);
        if (!m.Success) return null;
        if (!int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var score)) return null;
        return score >= min && score <= max ? score : null;
    }
}
