namespace Engine.Runtime;

/// <summary>
/// Hard-concrete (L0) mask ops of DRPruning / Sheared-LLaMA (constants in <see cref="HardConcrete"/>).
/// Elementwise ops take any shape; the eval mask works on rows = the last dimension.
/// </summary>
public partial interface IBackend
{
    /// <summary>
    /// Training sample z = clamp(s·(r−l) + l, 0, 1), s = σ((ln u − ln(1−u) + log α)/β), with
    /// u_i = <see cref="HardConcrete.Noise"/>(Philox.Word(seed, offset, i)) (the same f32 u on every backend).
    /// </summary>
    Tensor HardConcreteSample(Tensor logAlpha, ulong seed, ulong offset);

    /// <summary>dL/dlog α = gz · s(1−s)·(r−l)/β where 0 &lt; s·(r−l)+l &lt; 1, else 0; s recomputed from the same noise.</summary>
    Tensor HardConcreteSampleBackward(Tensor logAlpha, ulong seed, ulong offset, Tensor gz);

    /// <summary>P(z ≠ 0) = 1 − clamp(σ(β·logit(1/12) − log α), ε, 1−ε) = σ(log α + 1.5986) inside the clamp.</summary>
    Tensor HardConcreteScore(Tensor logAlpha);

    /// <summary>dL/dlog α = gs · c(1−c), c = σ(β·logit(1/12) − log α), where ε ≤ c ≤ 1−ε (torch clamp), else 0.</summary>
    Tensor HardConcreteScoreBackward(Tensor logAlpha, Tensor gs);

    /// <summary>
    /// Deterministic eval mask per row (last dim, size n): soft = σ(log α/β·0.8); the k entries with the smallest
    /// log α (equivalently the smallest soft value) are set to 0, the others keep soft. k = n − targetSize when
    /// targetSize ≥ 0, else round-half-even(n − Σ_row score) with the score in f64 (identical bits on every backend).
    /// Ties in log α: the higher index is zeroed first (the lower index is kept); −0 equals +0.
    /// </summary>
    Tensor HardConcreteEvalMask(Tensor logAlpha, int targetSize);

    /// <summary>In place: log α ← clamp(log α, min, max) (the trainer's constraint before each forward; no gradient).</summary>
    void HardConcreteClampInPlace(Tensor logAlpha, double min, double max);
}
