namespace Engine.Methods.Selection.CDT;

/// <summary>
/// A composite capability κ = (c1, c2, d, t): the first two cognition codes in importance order, then sorted so that
/// (a, b) ≡ (b, a) (<see cref="C2"/> is null for a single code), the subdomain and the task type. Canonicalised once,
/// so the metrics and both selectors agree (the paper's scripts disagree when a tagger returns more than two codes).
/// </summary>
public readonly record struct CdtKey(string C1, string? C2, string Domain, string Task)
{
    public static CdtKey? Of(CapabilityTags tags)
    {
        if (!tags.IsComplete) return null;
        var first = tags.Cognition.Distinct(StringComparer.Ordinal).Take(2).ToArray();
        if (first.Length == 1) return new CdtKey(first[0], null, tags.Domain[0], tags.Task[0]);
        var (a, b) = string.CompareOrdinal(first[0], first[1]) <= 0 ? (first[0], first[1]) : (first[1], first[0]);
        return new CdtKey(a, b, tags.Domain[0], tags.Task[0]);
    }

    public bool HasTwoSkills => C2 is not null;

    /// <summary>"NM+RQ | Mathematics | Closed Book QA".</summary>
    public override string ToString() => (C2 is null ? C1 : C1 + "+" + C2) + " | " + Domain + " | " + Task;
}
