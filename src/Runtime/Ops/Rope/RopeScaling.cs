namespace Engine.Runtime;

/// <summary>
/// The rope_scaling block of a Hugging Face config. Type is rope_type: "default", "linear", "llama3" or "yarn".
/// For yarn, Factor is used as given and OriginalMaxPositionEmbeddings is the pre-extension context
/// (HF falls back to max_position_embeddings when the config has none: pass that here then).
/// AttentionFactor overrides yarn's 0.1·ln(factor) + 1.
/// </summary>
public sealed record RopeScaling(string Type, double Factor, double? LowFreqFactor = null, double? HighFreqFactor = null,
    int? OriginalMaxPositionEmbeddings = null, double? BetaFast = null, double? BetaSlow = null, double? AttentionFactor = null);
