using System.Globalization;
using System.Text.RegularExpressions;

namespace Engine.Methods.Evaluation.Testbed;

/// <summary>
/// Checks reasoning, not just the final answer. <see cref="ArithmeticErrors"/> needs nothing hidden: it
/// re-computes every "a op b = c" in a response (op one of + - * / %, plus max(a, b) = c and min(a, b) = c)
/// and returns the lines where c is wrong; this catches every logic error in the numeric families.
/// <see cref="StepsDiffer"/> compares a response's reasoning lines with the clean reasoning of the record
/// (hidden meta), which catches a logic error in any family.
/// </summary>
public static partial class ReasoningVerifier
{
    [GeneratedRegex(@"(-?\d+) ([-+*/%]) (-?\d+) = (-?\d+)")] private static partial Regex Equation();
    [GeneratedRegex(@"(max|min)\((-?\d+), (-?\d+)\) = (-?\d+)")] private static partial Regex Function();

    public static IReadOnlyList<string> ArithmeticErrors(string response)
    {
        var bad = new List<string>();
        foreach (var line in response.Split('\n'))
        {
            bool wrong = false;
            foreach (Match m in Equation().Matches(line))
            {
                long a = P(m.Groups[1].Value), b = P(m.Groups[3].Value), c = P(m.Groups[4].Value);
                long? r = m.Groups[2].Value switch
                {
                    "+" => a + b, "-" => a - b, "*" => a * b,
                    "/" => b != 0 && a % b == 0 ? a / b : null,
                    _ => b != 0 ? a % b : null,
                };
                if (r != c) wrong = true;
            }
            foreach (Match m in Function().Matches(line))
            {
                long a = P(m.Groups[2].Value), b = P(m.Groups[3].Value), c = P(m.Groups[4].Value);
                if ((m.Groups[1].Value == "max" ? Math.Max(a, b) : Math.Min(a, b)) != c) wrong = true;
            }
            if (wrong) bad.Add(line);
        }
        return bad;
    }

    /// <summary>True when the response's lines before the answer line differ from the clean output's.</summary>
    public static bool StepsDiffer(TestbedRecord record, string response)
    {
        var meta = record.Meta ?? throw new InvalidOperationException($"ReasoningVerifier.StepsDiffer: record {record.Id} has no hidden meta (stripped).");
        return !Reasoning(meta.CleanOutput).SequenceEqual(Reasoning(response));
    }

    private static IEnumerable<string> Reasoning(string output) =>
        output.Split('\n').Where(l => !l.TrimStart().StartsWith(AnswerText.Prefix, StringComparison.Ordinal)).Select(l => l.Trim());

    private static long P(string s) => long.Parse(s, CultureInfo.InvariantCulture);
}
