namespace Engine.Methods.Synthesis.SeaPO;

/// <summary>The error kinds SeaPO injects into a correct response (the paper's three types).</summary>
public enum SeaPoErrorType
{
    /// <summary>A wrong fact or calculation, so the response's result is wrong.</summary>
    Correctness,
    /// <summary>Flawed reasoning: a step that does not follow, a contradiction, a conclusion without support.</summary>
    Logic,
    /// <summary>Made-up information with no basis in the question.</summary>
    Hallucination,
}

public static class SeaPoErrorTypes
{
    public static readonly IReadOnlyList<SeaPoErrorType> All = Enum.GetValues<SeaPoErrorType>();

    /// <summary>The type's name in prompts, files and on the command line.</summary>
    public static string Name(this SeaPoErrorType type) => type switch
    {
        SeaPoErrorType.Correctness => "correctness",
        SeaPoErrorType.Logic => "logic",
        SeaPoErrorType.Hallucination => "hallucination",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static SeaPoErrorType Parse(string name)
    {
        foreach (var t in All) if (string.Equals(t.Name(), name.Trim(), StringComparison.OrdinalIgnoreCase)) return t;
        throw new ArgumentException($"unknown SeaPO error type '{name}'; known: {string.Join(", ", All.Select(t => t.Name()))}.");
    }

    /// <summary>A comma list of types, without repeats, in the order given.</summary>
    public static IReadOnlyList<SeaPoErrorType> ParseList(string list)
    {
        var types = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).Distinct().ToArray();
        return types.Length > 0 ? types : throw new ArgumentException("no SeaPO error type given (correctness, logic, hallucination).");
    }
}
