using System.Globalization;
using System.Text.RegularExpressions;

namespace Engine.Methods.Evaluation.Testbed;

/// <summary>
/// Introduces one logic error into a reasoning step, in the first way that applies:
/// the last integer in the line is changed (a wrong intermediate result); else an "is a"/"is not a" is negated
/// (a wrong inference); else two adjacent letters of the last word are swapped (a wrong intermediate string).
/// The result always differs from the step.
/// </summary>
public static partial class StepCorruptor
{
    [GeneratedRegex(@"-?\d+")] private static partial Regex Integer();
    [GeneratedRegex(@"[A-Za-z]{2,}")] private static partial Regex Word();

    public static string Corrupt(string step, TestbedRng rng)
    {
        var ints = Integer().Matches(step);
        if (ints.Count > 0)
        {
            var m = ints[^1];
            long v = long.Parse(m.Value, CultureInfo.InvariantCulture);
            long delta = rng.Range(1, 9) * (rng.Coin() ? 1 : -1);
            if (v + delta < 0 && v >= 0) delta = -delta;
            return step[..m.Index] + (v + delta).ToString(CultureInfo.InvariantCulture) + step[(m.Index + m.Length)..];
        }
        if (step.Contains(" is not a ", StringComparison.Ordinal)) return ReplaceLast(step, " is not a ", " is a ");
        if (step.Contains(" is a ", StringComparison.Ordinal)) return ReplaceLast(step, " is a ", " is not a ");
        var words = Word().Matches(step);
        for (int w = words.Count - 1; w >= 0; w--)
        {
            var m = words[w];
            for (int i = 0; i + 1 < m.Length; i++)
                if (m.Value[i] != m.Value[i + 1])
                {
                    var swapped = m.Value[..i] + m.Value[i + 1] + m.Value[i] + m.Value[(i + 2)..];
                    return step[..m.Index] + swapped + step[(m.Index + m.Length)..];
                }
        }
        return step + " (not)";
    }

    private static string ReplaceLast(string s, string find, string with)
    {
        int i = s.LastIndexOf(find, StringComparison.Ordinal);
        return s[..i] + with + s[(i + find.Length)..];
    }
}
