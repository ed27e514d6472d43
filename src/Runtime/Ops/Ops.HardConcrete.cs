namespace Engine.Runtime;

public static partial class Ops
{
    /// <summary>
    /// A training sample of hard-concrete gates z ∈ [0, 1] (exact 0s and 1s occur), shape of log α, drawn from the
    /// Philox stream (gen.Seed, gen.Take(numel)); differentiable in log α. See <see cref="IBackend.HardConcreteSample"/>.
    /// </summary>
    public static Tensor HardConcreteSample(Tensor logAlpha, Generator gen)
    {
        ArgumentNullException.ThrowIfNull(gen);
        ulong seed = gen.Seed, offset = gen.Take(logAlpha.NumElements);
        return HardConcreteSample(logAlpha, seed, offset);
    }

    /// <summary>
    /// The sample for an explicit stream (seed, offset): the same noise every call, so the backward recomputes it
    /// instead of storing it (and a gradient check sees fixed noise).
    /// </summary>
    public static Tensor HardConcreteSample(Tensor logAlpha, ulong seed, ulong offset)
    {
        var be = Backend.Of(logAlpha);
        var la = logAlpha.Contiguous();
        var z = be.HardConcreteSample(la, seed, offset);
        return Autograd.Record(z, "HardConcreteSample", [la], g => [be.HardConcreteSampleBackward(la, seed, offset, g.Contiguous())]);
    }

    /// <summary>P(z ≠ 0) per element (the expected-L0 score, σ(log α + 1.5986) inside the ε clamp); differentiable.</summary>
    public static Tensor HardConcreteScore(Tensor logAlpha)
    {
        var be = Backend.Of(logAlpha);
        var la = logAlpha.Contiguous();
        var y = be.HardConcreteScore(la);
        return Autograd.Record(y, "HardConcreteScore", [la], g => [be.HardConcreteScoreBackward(la, g.Contiguous())]);
    }

    /// <summary>Expected sparsity per row, ŝ = 1 − Σ_row score / row_size (B1.5): shape of log α without its last dim.</summary>
    public static Tensor HardConcreteExpectedSparsity(Tensor logAlpha)
    {
        if (logAlpha.Rank == 0) return AddScalar(Neg(HardConcreteScore(logAlpha)), 1);
        return Affine(Mean(HardConcreteScore(logAlpha), -1), -1, 1);
    }

    /// <summary>
    /// The deterministic eval mask per row (last dim): survivors keep σ(log α/β·0.8), the k smallest are 0, with
    /// k = row_size − targetSize, or round(row_size − Σ score) when <paramref name="targetSize"/> is null.
    /// Ties: the lower index is kept. Not differentiable (a constant).
    /// </summary>
    public static Tensor HardConcreteEvalMask(Tensor logAlpha, int? targetSize = null)
    {
        if (targetSize < 0) throw new ArgumentOutOfRangeException(nameof(targetSize), $"HardConcreteEvalMask: target size must be ≥ 0, got {targetSize}.");
        return Backend.Of(logAlpha).HardConcreteEvalMask(logAlpha.Contiguous(), targetSize ?? -1);
    }

    /// <summary>
    /// The constraint applied before every forward, in place and outside autograd (torch's .data.clamp_):
    /// log α ← clamp(log α, ln 0.01, ln 100) = [−4.6052, 4.6052]. The N(5, 0.01²) init is clipped to ln 100 at step 1.
    /// </summary>
    public static void HardConcreteClampLogAlpha(Tensor logAlpha) =>
        Backend.Of(logAlpha).HardConcreteClampInPlace(logAlpha, HardConcrete.LogAlphaMin, HardConcrete.LogAlphaMax);
}
