namespace Engine.Methods.Evaluation.Testbed;

/// <summary>The kinds of controlled noise. Each corrupted record names its kind in the hidden meta field.</summary>
public enum CorruptionKind
{
    /// <summary>A plausible near-miss final answer (off by a digit, another entity's value, another label).</summary>
    WrongAnswer,
    /// <summary>One reasoning step is wrong while the final answer is kept; needs chain-of-thought.</summary>
    LogicError,
    /// <summary>A fabricated supporting claim and an answer that is not supported by the input.</summary>
    Hallucination,
    /// <summary>The clean response cut off before its end (the answer line is missing or incomplete).</summary>
    Truncated,
    /// <summary>The clean response to a different prompt.</summary>
    OffTopic,
}

public static class CorruptionKinds
{
    public static readonly IReadOnlyList<CorruptionKind> All = Enum.GetValues<CorruptionKind>();

    public static string Name(this CorruptionKind kind) => kind switch
    {
        CorruptionKind.WrongAnswer => "wrong_answer",
        CorruptionKind.LogicError => "logic_error",
        CorruptionKind.Hallucination => "hallucination",
        CorruptionKind.Truncated => "truncated",
        CorruptionKind.OffTopic => "off_topic",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static CorruptionKind Parse(string name)
    {
        foreach (var k in All) if (string.Equals(k.Name(), name.Trim(), StringComparison.OrdinalIgnoreCase)) return k;
        throw new ArgumentException($"Unknown corruption kind '{name}'. Known: {string.Join(", ", All.Select(k => k.Name()))}.");
    }

    public static IReadOnlyList<CorruptionKind> ParseList(string list) =>
        list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).Distinct().ToArray();
}
