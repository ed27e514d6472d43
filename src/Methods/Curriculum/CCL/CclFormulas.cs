namespace Engine.Methods.Curriculum.CCL;

/// <summary>How a consistency loss becomes a difficulty in [0, 1].</summary>
public enum DifficultyNormalization
{
    /// <summary>S = (L − min) / max (the paper's Eq. 3 as we read it; the default).</summary>
    MinOverMax,
    /// <summary>S = (L − min) / (max − min): the same ranking, spread over all of [0, 1].</summary>
    MinMax,
}

/// <summary>
/// CCL's formulas (Liu et al., EMNLP 2024), pure functions checkable by hand. A training example's consistency loss
/// L_CL (symmetric KL between two views, averaged over response tokens) gives its difficulty S (Eq. 3); the gap between
/// the held-out and training mean consistency gives the model's proficiency C (Eq. 4); the example's weight is
/// w = exp(1 − |C − S|) − 1 (Eq. 5): largest (e − 1) for examples whose difficulty matches the proficiency, 0 for
/// |C − S| = 1.
/// </summary>
public static class CclFormulas
{
    /// <summary>The largest weight, e − 1, reached when S = C.</summary>
    public static readonly double MaxWeight = Math.E - 1;

    /// <summary>w = exp(1 − |C − S|) − 1 (the −1 is outside the exponential: the paper's figure, 0.56/0.23 → 0.954).</summary>
    public static double Weight(double proficiency, double difficulty) => Math.Exp(1 - Math.Abs(proficiency - difficulty)) - 1;

    /// <summary>C = min(1, |L̄_CL(valid) − L̄_CL(train)| / λ).</summary>
    public static double Proficiency(double trainMean, double validMean, double lambda)
    {
        if (!(lambda > 0)) throw new ArgumentOutOfRangeException(nameof(lambda), $"λ must be positive, got {lambda}.");
        return Math.Min(1.0, Math.Abs(validMean - trainMean) / lambda);
    }

    /// <summary>
    /// Difficulty of every example from its consistency loss over the training set: (L − min)/max, or (L − min)/(max − min).
    /// All zero when every loss is equal (or max is 0).
    /// </summary>
    public static double[] Difficulties(IReadOnlyList<double> losses, DifficultyNormalization mode = DifficultyNormalization.MinOverMax)
    {
        if (losses.Count == 0) return [];
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var l in losses)
        {
            if (!double.IsFinite(l) || l < 0) throw new ArgumentException($"A consistency loss is {l}; it must be finite and ≥ 0.");
            min = Math.Min(min, l); max = Math.Max(max, l);
        }
        double denom = mode == DifficultyNormalization.MinMax ? max - min : max;
        return losses.Select(l => denom > 0 ? (l - min) / denom : 0.0).ToArray();
    }

    /// <summary>Every example's weight for a proficiency and the examples' difficulties.</summary>
    public static double[] Weights(double proficiency, IReadOnlyList<double> difficulties) =>
        difficulties.Select(s => Weight(proficiency, s)).ToArray();

    /// <summary>Mean and population standard deviation (for the per-epoch log).</summary>
    public static (double Mean, double Std) MeanStd(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return (double.NaN, double.NaN);
        double mean = values.Average(), v = 0;
        foreach (var x in values) v += (x - mean) * (x - mean);
        return (mean, Math.Sqrt(v / values.Count));
    }
}
