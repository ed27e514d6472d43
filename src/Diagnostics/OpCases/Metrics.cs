namespace Engine.Diagnostics.OpCases;

/// <summary>The error metrics of <see cref="Check"/>, over values converted exactly to f64.</summary>
public static class Metrics
{
    /// <summary>
    /// max_i |want_i − got_i| / max(|want_i|, mean_j |want_j|); NaN when an output is NaN/inf where want is finite, or the
    /// lengths differ. The floor at the mean magnitude is what makes a relative bound meaningful for outputs formed by
    /// cancellation (norm/softmax backward, attention's dS = P∘(dP − δ), reductions of random-sign terms): their near-zero
    /// elements carry the rounding of the O(mean) terms they were summed from, on the CPU as much as on the device.
    /// A wrong element (a missed key, a skipped row, a wrong index) is off by O(mean) or more and fails by orders of magnitude.
    /// </summary>
    public static double RelError(double[] want, double[] got)
    {
        if (want.Length != got.Length) return double.NaN;
        double floor = 0;
        foreach (var v in want) if (double.IsFinite(v)) floor += Math.Abs(v);
        floor = want.Length == 0 ? 1 : Math.Max(floor / want.Length, double.Epsilon);
        double worst = 0;
        for (int i = 0; i < want.Length; i++)
        {
            if (want[i] == got[i]) continue; // exact, including equal infinities
            if (!double.IsFinite(got[i]) && double.IsFinite(want[i])) return double.NaN;
            worst = Math.Max(worst, Math.Abs(want[i] - got[i]) / Math.Max(Math.Abs(want[i]), floor));
        }
        return worst;
    }

    /// <summary>max |want − got| / max |want|; NaN when got is not finite where want is, or an infinite want is missed.</summary>
    public static double PeakRelError(double[] want, double[] got)
    {
        if (want.Length != got.Length) return double.NaN;
        double peak = 0, worst = 0;
        for (int i = 0; i < want.Length; i++)
        {
            if (double.IsInfinity(want[i]) || double.IsInfinity(got[i]))
            {
                if (want[i] != got[i]) return double.NaN;
                continue;
            }
            if (!double.IsFinite(got[i])) return double.NaN;
            peak = Math.Max(peak, Math.Abs(want[i]));
            worst = Math.Max(worst, Math.Abs(want[i] - got[i]));
        }
        return peak == 0 ? worst : worst / peak;
    }

    public static double RelOrAbsError(double[] want, double[] got) => want.Any(v => v != 0) ? RelError(want, got) : MaxAbs(got);

    /// <summary>Elements whose bits differ (−0 ≠ +0; NaN equals a NaN of the same bits).</summary>
    public static double BitMismatches(double[] want, double[] got) =>
        want.Length != got.Length ? double.NaN : want.Zip(got).Count(p => BitConverter.DoubleToInt64Bits(p.First) != BitConverter.DoubleToInt64Bits(p.Second));

    public static double MismatchRate(double[] want, double[] got) =>
        want.Length != got.Length ? double.NaN : want.Length == 0 ? 0 : want.Zip(got).Count(p => p.First != p.Second) / (double)want.Length;

    public static double ZeroPatternMismatches(double[] want, double[] got) =>
        want.Length != got.Length ? double.NaN : want.Zip(got).Count(p => (p.First == 0) != (p.Second == 0));

    public static double MaxAbs(double[] got)
    {
        double worst = 0;
        foreach (var v in got) worst = double.IsFinite(v) ? Math.Max(worst, Math.Abs(v)) : double.NaN;
        return worst;
    }

    public static double LogProbError(double[] want, double[] got)
    {
        if (want.Length != got.Length) return double.NaN;
        double worst = 0;
        for (int i = 0; i < want.Length; i++)
        {
            if (double.IsNaN(got[i])) return double.NaN;
            worst = Math.Max(worst, Math.Abs(want[i] - got[i]) / Math.Max(Math.Abs(want[i]), 1e-3));
        }
        return worst;
    }
}
