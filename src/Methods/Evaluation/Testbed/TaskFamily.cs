using System.Globalization;

namespace Engine.Methods.Evaluation.Testbed;

/// <summary>Shared helpers for families: invariant number text, distractor lists that the checker really rejects.</summary>
public abstract class TaskFamily : ITaskFamily
{
    public abstract string Name { get; }
    public abstract string Domain { get; }
    public abstract string Description { get; }
    public abstract CdtTags Tags { get; }
    public abstract TaskInstance Generate(TestbedRng rng, int difficulty);
    public abstract bool Matches(string expected, string extracted);

    protected static string N(long v) => v.ToString(CultureInfo.InvariantCulture);

    protected static CdtTags MakeTags(string[] cognition, string domain, string task) => new(cognition, [domain], [task]);

    /// <summary>Keeps candidates that the checker rejects against <paramref name="answer"/> and that differ from each other.</summary>
    protected List<string> Rejected(string answer, IEnumerable<string> candidates, int max = 3)
    {
        var kept = new List<string>();
        foreach (var c in candidates)
        {
            if (kept.Count == max) break;
            if (c.Length == 0 || Matches(answer, c)) continue;
            if (kept.Any(k => Matches(k, c) || Matches(c, k))) continue;
            kept.Add(c);
        }
        return kept;
    }

    /// <summary>Near misses of an integer: ±1, ±10, ±a few, swapped digits; non-negative when the answer is.</summary>
    protected List<string> NumberDistractors(long answer, TestbedRng rng)
    {
        var c = new List<long> { answer + 1, answer - 1, answer + 10, answer - 10, answer + rng.Range(2, 9), answer - rng.Range(2, 9) };
        var digits = N(Math.Abs(answer)).ToCharArray();
        if (digits.Length >= 2) { (digits[^1], digits[^2]) = (digits[^2], digits[^1]); c.Insert(0, Math.Sign(answer) * long.Parse(new string(digits), CultureInfo.InvariantCulture)); }
        var list = c.Where(v => answer < 0 || v >= 0).Select(N).ToList();
        rng.Shuffle(list);
        return Rejected(N(answer), list);
    }

    /// <summary>A fabricated integer far enough from the answer not to look like a slip.</summary>
    protected static long FarNumber(long answer, TestbedRng rng)
    {
        long delta = rng.Range(11, 99) * (1 + Math.Abs(answer) / 200);
        return answer >= delta && rng.Coin() ? answer - delta : answer + delta;
    }
}
