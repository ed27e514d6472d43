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
