namespace Engine.Diagnostics.OpCases;

/// <summary>
/// How an output is compared with the CPU's: an error metric over the two value arrays (f64, converted exactly from any
/// dtype) and the largest error that passes. NaN (an output that is NaN/inf where the CPU's is finite) never passes.
/// </summary>
public sealed record Check(string Metric, double Tolerance, Func<double[], double[], double> Error)
{
    /// <summary>max |want − got| / max(|want|, mean |want|) (see <see cref="Metrics.RelError"/>).</summary>
    public static Check Rel(double tolerance) => new("rel", tolerance, Metrics.RelError);

    /// <summary>max |want − got| / max |want| (bf16 tensor-core outputs, judged on the tensor's scale); infinities must match.</summary>
    public static Check Peak(double tolerance) => new("peak", tolerance, Metrics.PeakRelError);

    /// <summary>Relative, except that an all-zero want compares absolutely (a single clamped gate is legitimately 0).</summary>
    public static Check RelOrAbs(double tolerance) => new("rel|abs", tolerance, Metrics.RelOrAbsError);

    /// <summary>Number of elements whose bits differ: the op is exact (casts, gathers, masks, ids).</summary>
    public static readonly Check Exact = new("bits", 0, Metrics.BitMismatches);

    /// <summary>Fraction of elements that differ (sampled ids).</summary>
    public static readonly Check MismatchRate = new("rate", 0, Metrics.MismatchRate);

    /// <summary>Number of elements that are zero on one side only (eval masks).</summary>
    public static readonly Check ZeroPattern = new("zeros", 0, Metrics.ZeroPatternMismatches);

    /// <summary>The largest |got|: the output must be exactly 0 whatever the CPU says (a flag, a p = q row).</summary>
    public static readonly Check Zero = new("zero", 0, (_, got) => Metrics.MaxAbs(got));

    /// <summary>Per-element relative error with a floor of 1e-3 (log-probabilities near 0).</summary>
    public static Check LogProb(double tolerance) => new("logp", tolerance, Metrics.LogProbError);

    /// <summary>The f32 tolerance of every f32 output (elements judged against the tensor's mean magnitude where smaller).</summary>
    public const double F32 = 1e-5;

    /// <summary>The tolerance of bf16/f16 outputs.</summary>
    public const double Half = 1e-2;
}
