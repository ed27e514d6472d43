namespace Engine.Runtime;

/// <summary>Inverse frequencies and attention scaling per rope_type, with transformers' semantics.</summary>
internal static class RopeFrequencies
{
    public static (double[] invFreq, double attentionScaling) Compute(int dim, double theta, RopeScaling? scaling)
    {
        var baseFreq = new double[dim / 2];
        for (int i = 0; i < baseFreq.Length; i++) baseFreq[i] = 1.0 / Math.Pow(theta, 2.0 * i / dim);
        if (scaling is null) return (baseFreq, 1.0);
        switch (scaling.Type.ToLowerInvariant())
        {
            case "default": return (baseFreq, 1.0);
            case "linear":
                RequirePositive(scaling.Factor, "linear", "factor");
                return (baseFreq.Select(f => f / scaling.Factor).ToArray(), 1.0);
            case "llama3": return (Llama3(baseFreq, scaling), 1.0);
            case "yarn": return Yarn(dim, theta, baseFreq, scaling);
            default:
                throw new NotSupportedException($"RotaryEmbedding: rope_type '{scaling.Type}' is not supported (known: default, linear, llama3, yarn).");
        }
    }

    /// <summary>Llama 3.1: long wavelengths are divided by factor, short ones kept, the band between blended linearly in 1/wavelength.</summary>
    private static double[] Llama3(double[] inv, RopeScaling s)
    {
        RequirePositive(s.Factor, "llama3", "factor");
        double low = s.LowFreqFactor ?? throw Missing("llama3", "low_freq_factor");
        double high = s.HighFreqFactor ?? throw Missing("llama3", "high_freq_factor");
        double ctx = s.OriginalMaxPositionEmbeddings ?? throw Missing("llama3", "original_max_position_embeddings");
        double lowWavelen = ctx / low, highWavelen = ctx / high;
        var r = new double[inv.Length];
        for (int i = 0; i < inv.Length; i++)
        {
            double wavelen = 2 * Math.PI / inv[i];
            if (wavelen > lowWavelen) r[i] = inv[i] / s.Factor;
            else if (wavelen < highWavelen) r[i] = inv[i];
            else
            {
                double smooth = (ctx / wavelen - low) / (high - low);
                r[i] = (1 - smooth) * inv[i] / s.Factor + smooth * inv[i];
            }
        }
        return r;
    }

    /// <summary>YaRN: interpolate (÷ factor) the low-frequency dims, extrapolate the high-frequency ones, linear ramp between
    /// the correction dims of beta_fast/beta_slow rotations (floored/ceiled); cos/sin scaled by 0.1·ln(factor) + 1.</summary>
    private static (double[], double) Yarn(int dim, double theta, double[] inv, RopeScaling s)
    {
        RequirePositive(s.Factor, "yarn", "factor");
        double ctx = s.OriginalMaxPositionEmbeddings ?? throw Missing("yarn", "original_max_position_embeddings");
        double betaFast = s.BetaFast ?? 32, betaSlow = s.BetaSlow ?? 1;
        double attention = s.AttentionFactor ?? (s.Factor <= 1 ? 1.0 : 0.1 * Math.Log(s.Factor) + 1.0);
        double CorrectionDim(double rotations) => dim * Math.Log(ctx / (rotations * 2 * Math.PI)) / (2 * Math.Log(theta));
        double lo = Math.Max(Math.Floor(CorrectionDim(betaFast)), 0);
        double hi = Math.Min(Math.Ceiling(CorrectionDim(betaSlow)), dim - 1);
        if (lo == hi) hi += 0.001;
        var r = new double[inv.Length];
        for (int i = 0; i < inv.Length; i++)
        {
            double ramp = Math.Clamp((i - lo) / (hi - lo), 0, 1);
            double extrapolation = 1 - ramp; // weight of the unscaled frequency
            r[i] = inv[i] / s.Factor * (1 - extrapolation) + inv[i] * extrapolation;
        }
        return (r, attention);
    }

    private static void RequirePositive(double v, string type, string name)
    {
        if (!(v > 0)) throw new ArgumentException($"RotaryEmbedding: rope_type '{type}' needs {name} > 0, got {v}.");
    }

    private static ArgumentException Missing(string type, string name) => new($"RotaryEmbedding: rope_type '{type}' needs {name}.");
}
