namespace Engine.Runtime;

/// <summary>The one wording of an out-of-range id, so every backend reports a bad target or token id identically.</summary>
internal static class IdErrors
{
    /// <summary>A target of a per-row loss (cross-entropy, token log-probs) outside [0, vocab) that is not the ignore index.</summary>
    public static ArgumentOutOfRangeException Target(string op, long target, long row, int vocab, long? ignoreIndex) =>
        new("targets", $"{op}: target {target} at row {row} is outside the vocabulary [0, {vocab})" + (ignoreIndex is { } ig ? $" and is not the ignore index {ig}." : "."));

    /// <summary>An embedding id outside [0, vocab).</summary>
    public static ArgumentOutOfRangeException Id(string op, long id, long position, string idsShape, int vocab) =>
        new("ids", $"{op}: id {id} at flat position {position} of ids {idsShape} is outside the vocabulary [0, {vocab}).");
}
