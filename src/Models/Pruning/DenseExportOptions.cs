using Engine.Models.Config;
using Engine.Runtime;

namespace Engine.Models.Pruning;

/// <summary>Options of <see cref="DenseExport"/>.</summary>
public sealed record DenseExportOptions
{
    /// <summary>Folder whose tokenizer and generation files are copied next to the weights (usually the source model's).</summary>
    public string? TokenizerDir { get; init; }

    /// <summary>Weight dtype written (F32, BF16 or F16); default: the model's when 16-bit, else F32.</summary>
    public DType? SaveDType { get; init; }

    /// <summary>
    /// LLM-Shearing's materialisation also multiplies the LM head's columns by the hidden mask after folding it into the
    /// final norm, so the output sees the (non-binary) hidden mask twice; its code calls this a bug. Off by default:
    /// the dense model then gives the masked model's logits. On: the released Sheared/DRPruning models' numbers.
    /// </summary>
    public bool ReplicateLmHeadDoubleScaling { get; init; }
}

/// <summary>What <see cref="DenseExport"/> kept.</summary>
/// <param name="Config">The dense model's config.</param>
/// <param name="KeptLayers">Source indices of the layers kept, in order (layer i of the dense model is KeptLayers[i]).</param>
/// <param name="KeptHiddenDims">Source indices of the hidden dims kept.</param>
/// <param name="PaddedHeads">Zero-output query heads added so every layer has the same head count (see DenseExport).</param>
/// <param name="PaddedUnits">Zero-output MLP units added so every layer has the same intermediate size.</param>
public sealed record DenseExportReport(ModelConfig Config, int[] KeptLayers, int[] KeptHiddenDims, int PaddedHeads, int PaddedUnits)
{
    public long ParameterCount => Config.ParameterCount();
}
