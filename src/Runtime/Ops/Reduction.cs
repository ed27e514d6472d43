namespace Engine.Runtime;

/// <summary>How a per-position loss is reduced.</summary>
public enum Reduction
{
    /// <summary>Average over the positions that count (for cross-entropy: the non-ignored ones; 0 when there are none).</summary>
    Mean,
    /// <summary>Sum over positions.</summary>
    Sum,
    /// <summary>No reduction: one value per position.</summary>
    None,
}
