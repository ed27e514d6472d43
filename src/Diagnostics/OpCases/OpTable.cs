using Engine.Diagnostics.Cases.Activation;
using Engine.Diagnostics.Cases.Attention;
using Engine.Diagnostics.Cases.Conv;
using Engine.Diagnostics.Cases.Dropout;
using Engine.Diagnostics.Cases.Elementwise;
using Engine.Diagnostics.Cases.Embedding;
using Engine.Diagnostics.Cases.HardConcrete;
using Engine.Diagnostics.Cases.Loss;
using Engine.Diagnostics.Cases.MatMul;
using Engine.Diagnostics.Cases.Norm;
using Engine.Diagnostics.Cases.Optim;
using Engine.Diagnostics.Cases.Rng;
using Engine.Diagnostics.Cases.Rope;
using Engine.Diagnostics.Cases.Sampling;
using Engine.Diagnostics.Cases.Softmax;
using Engine.Diagnostics.Cases.Streams;

namespace Engine.Diagnostics.OpCases;

/// <summary>
/// The op table: every case of every family (src/Diagnostics/Cases/&lt;Family&gt;/), in one list. Adding an op means adding
/// its cases here (docs/adding-an-op.md); the kernel coverage test fails while any kernel is left unrun.
/// </summary>
public static class OpTable
{
    public static IReadOnlyList<OpCase> All { get; } =
    [
        .. ElementwiseCases.All(), .. RngCases.All(), .. MatMulCases.All(), .. NormCases.All(), .. SoftmaxCases.All(),
        .. LossCases.All(), .. EmbeddingCases.All(), .. RopeCases.All(), .. ConvCases.All(), .. ActivationCases.All(), .. AttentionCases.All(),
        .. DropoutCases.All(), .. HardConcreteCases.All(), .. OptimCases.All(), .. SamplingCases.All(), .. StreamCases.All(),
    ];

    /// <summary>
    /// Cases whose family, name or "name shape" key contains <paramref name="filter"/> (case-insensitive; every case when
    /// empty). Several filters separated by commas match any of them.
    /// </summary>
    public static IReadOnlyList<OpCase> Matching(string? filter)
    {
        if (string.IsNullOrWhiteSpace(filter)) return All;
        var parts = filter.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return All.Where(c => parts.Any(p => c.Family.Contains(p, StringComparison.OrdinalIgnoreCase) || c.Key.Contains(p, StringComparison.OrdinalIgnoreCase))).ToArray();
    }
}
