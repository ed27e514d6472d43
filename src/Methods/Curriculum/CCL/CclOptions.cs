namespace Engine.Methods.Curriculum.CCL;

/// <summary>How the per-example weights are set.</summary>
public enum CclWeighting
{
    /// <summary>CCL: w = exp(1 − |C − S|) − 1, re-estimated every epoch.</summary>
    Curriculum,
    /// <summary>w ≡ 1: plain consistency learning (R-Drop with the dropout view), CCL's baseline.</summary>
    Uniform,
}

/// <summary>What the first epoch trains with, before any training has happened.</summary>
public enum CclFirstEpoch
{
    /// <summary>Measure S and C with the initial model (the default).</summary>
    Measure,
    /// <summary>w ≡ 1 for the first epoch (a warm-up), curriculum weights from the second.</summary>
    Uniform,
}

/// <summary>
/// Curriculum consistency learning. Defaults: α = 1 and λ = 0.8 (the paper's values are not published; λ = 0.8 reproduces
/// the paper figure's worked example), dropout 0.1 on attention and residual when the model has none (a model without
/// dropout gives two identical views and zero consistency), S normalised as (L − min)/max, S and C measured before every
/// epoch by a pass over the training and validation sets.
/// </summary>
public sealed record CclOptions
{
    /// <summary>Weight of the consistency term: L = (1/B) Σ w (L_LM + α·L_CL).</summary>
    public double Alpha { get; init; } = 1.0;
    /// <summary>Scale of the train/validation consistency gap in the proficiency C = min(1, |gap| / λ).</summary>
    public double Lambda { get; init; } = 0.8;
    public CclWeighting Weighting { get; init; } = CclWeighting.Curriculum;
    public DifficultyNormalization Difficulty { get; init; } = DifficultyNormalization.MinOverMax;
    public CclFirstEpoch FirstEpoch { get; init; } = CclFirstEpoch.Measure;
    /// <summary>
    /// Attention and residual dropout for the second view. Null: keep the model's own rates, or 0.1 each when it has none.
    /// 0 with no paraphrase views makes both views equal (consistency 0).
    /// </summary>
    public double? Dropout { get; init; }
    /// <summary>Divide each step's weights by their mean (off: the paper's loss is unnormalised, so mean w changes the step size).</summary>
    public bool NormalizeWeights { get; init; }
    /// <summary>Share of the training data held out to measure the validation consistency when no held-out set is given.</summary>
    public double ValidationFraction { get; init; } = 0.02;
    /// <summary>The record field holding a paraphrased user turn (the data-level view); records without it use the dropout view.</summary>
    public string ParaphraseField { get; init; } = "paraphrase";

    public void Validate()
    {
        if (!(Alpha >= 0) || double.IsInfinity(Alpha)) throw new ArgumentException($"CCL: α must be finite and ≥ 0, got {Alpha}.");
        if (!(Lambda > 0) || double.IsInfinity(Lambda)) throw new ArgumentException($"CCL: λ must be finite and > 0, got {Lambda}.");
        if (Dropout is { } d && !(d >= 0 && d < 1)) throw new ArgumentException($"CCL: dropout must be in [0, 1), got {d}.");
        if (!(ValidationFraction > 0 && ValidationFraction < 1)) throw new ArgumentException($"CCL: validation fraction must be in (0, 1), got {ValidationFraction}.");
        if (string.IsNullOrWhiteSpace(ParaphraseField)) throw new ArgumentException("CCL: the paraphrase field name is empty.");
    }
}
