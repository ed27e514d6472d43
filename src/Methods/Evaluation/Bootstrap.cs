using Engine.Methods.Evaluation.Testbed;
namespace Engine.Methods.Evaluation;

/// <summary>Percentile bootstrap confidence interval of a mean of 0/1 outcomes, deterministic for a seed.</summary>
public static class Bootstrap
{
    public static (double lo, double hi) Interval(IReadOnlyList<bool> outcomes, int resamples = 2000, double level = 0.95, ulong seed = 12345)
    {
        int n = outcomes.Count;
        if (n == 0) return (double.NaN, double.NaN);
        var rng = new TestbedRng(seed);
        var means = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            int hits = 0;
            for (int i = 0; i < n; i++) if (outcomes[(int)(rng.NextU64() % (ulong)n)]) hits++;
            means[r] = (double)hits / n;
        }
        Array.Sort(means);
        double a = (1 - level) / 2;
        return (means[(int)Math.Floor(a * (resamples - 1))], means[(int)Math.Ceiling((1 - a) * (resamples - 1))]);
    }
}

/// <summary>Percentile bootstrap of a ratio of sums (a token-mean loss over items: Σ item losses / Σ item tokens).</summary>
public static class RatioBootstrap
{
    /// <summary>
    /// 95 % (or <paramref name="level"/>) interval of Σ numerators / Σ denominators when the items are resampled with
    /// replacement; deterministic for a seed.
    /// </summary>
    public static (double lo, double hi) Interval(IReadOnlyList<double> numerators, IReadOnlyList<double> denominators, int resamples = 2000, double level = 0.95, ulong seed = 12345)
    {
        int n = numerators.Count;
        if (n != denominators.Count) throw new ArgumentException($"{n} numerators for {denominators.Count} denominators.");
        if (n == 0) return (double.NaN, double.NaN);
        var rng = new TestbedRng(seed);
        var stats = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            double num = 0, den = 0;
            for (int i = 0; i < n; i++)
            {
                int j = (int)(rng.NextU64() % (ulong)n);
                num += numerators[j]; den += denominators[j];
            }
            stats[r] = den > 0 ? num / den : double.NaN;
        }
        Array.Sort(stats);
        double a = (1 - level) / 2;
        return (stats[(int)Math.Floor(a * (resamples - 1))], stats[(int)Math.Ceiling((1 - a) * (resamples - 1))]);
    }
}
