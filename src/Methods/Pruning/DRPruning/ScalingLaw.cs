namespace Engine.Methods.Pruning.DRPruning;

/// <summary>
/// A fitted law ℓ(x) = A·Π_m x_m^(−b_m) + E = exp(a − Σ_m b_m·ln x_m) + exp(e).
/// </summary>
/// <param name="A">e^a.</param>
/// <param name="E">e^e: the loss the law approaches.</param>
/// <param name="B">The exponents b_m, one per input variable.</param>
public sealed record ScalingLawParameters(double A, double E, double[] B)
{
    public double Predict(IReadOnlyList<double> x) => ScalingLaw.Evaluate(Math.Log(A), Math.Log(E), B, x);
}

/// <summary>One of the best three starts, refit: its grid start, final objective, parameters and (clipped) prediction.</summary>
public sealed record ScalingLawRefit(int Start, double Objective, ScalingLawParameters Parameters, double Prediction);

/// <summary>The averaged result of <see cref="ScalingLaw.Fit"/>.</summary>
/// <param name="Parameters">A, E and b averaged over the kept refits (the reference averages the reported values).</param>
/// <param name="Prediction">ℓ at the extrapolation point, averaged over the kept refits.</param>
/// <param name="ScreeningLoss">Mean Huber objective of the (up to) three best inits after screening.</param>
/// <param name="Refits">The finite refits that were averaged, best screening loss last (the reference's order).</param>
public sealed record ScalingLawFit(ScalingLawParameters Parameters, double Prediction, double ScreeningLoss, IReadOnlyList<ScalingLawRefit> Refits)
{
    /// <summary>The refit with the lowest final objective (not what DRPruning uses: it averages them all).</summary>
    public ScalingLawRefit Best => Refits.MinBy(r => r.Objective)!;
}

/// <summary>How <see cref="ScalingLaw.Fit"/> searches (DRPruning's defaults).</summary>
public sealed record ScalingLawFitOptions
{
    /// <summary>Huber δ of the objective (mean over points).</summary>
    public double HuberDelta { get; init; } = 1e-3;
    /// <summary>L-BFGS steps per init when screening the grid.</summary>
    public int ScreenSteps { get; init; } = 10;
    /// <summary>L-BFGS steps of each of the best three refits.</summary>
    public int RefitSteps { get; init; } = 25;
    /// <summary>L-BFGS iterations per step (torch's max_iter).</summary>
    public int MaxIterPerStep { get; init; } = 20;
    /// <summary>
    /// Clip each refit's prediction to [0, min observed loss]: right for extrapolating a training curve forward (the
    /// dynamic reference loss); off for predicting a smaller model's loss from larger ones.
    /// </summary>
    public bool ClipToObserved { get; init; } = true;
}

/// <summary>
/// DRPruning's scaling-law fit (its <c>ScalingLaw</c> module): a grid of starting points a ∈ {0, 10, 20},
/// e ∈ {0, 1}, b₁ ∈ {0, 0.5, 1} and, for each further input (the pruning sparsity), b ∈ {0, −0.5}; each start is
/// optimised for 10 L-BFGS steps on the mean Huber loss (δ = 1e-3) between ℓ(x_i) and y_i; the three best (NaN
/// dropped) are refit from their start for 25 steps, and their parameters and predictions averaged. f64 throughout
/// (the reference runs f32).
/// </summary>
public static class ScalingLaw
{
    private static readonly double[] GridA = [0, 10, 20], GridE = [0, 1], GridB1 = [0, 0.5, 1], GridBMore = [0, -0.5];

    /// <summary>exp(a − Σ_m b_m·ln x_m) + exp(e).</summary>
    public static double Evaluate(double a, double e, IReadOnlyList<double> b, IReadOnlyList<double> x)
    {
        double s = a;
        for (int m = 0; m < b.Count; m++) s -= b[m] * Math.Log(x[m]);
        return Math.Exp(s) + Math.Exp(e);
    }

    /// <summary>Number of grid starts for <paramref name="inputs"/> variables: 18 for one, 36 for two, …</summary>
    public static int GridSize(int inputs) => 18 * (int)Math.Pow(2, inputs - 1);

    /// <summary>
    /// Start <paramref name="index"/> of the grid as θ = (a, e, b₁, b₂, …); the last variable varies fastest (the
    /// reference's <c>get_indices</c>).
    /// </summary>
    public static double[] GridStart(int index, int inputs)
    {
        var ranges = new List<double[]> { GridA, GridE, GridB1 };
        for (int m = 1; m < inputs; m++) ranges.Add(GridBMore);
        var theta = new double[ranges.Count];
        for (int r = ranges.Count - 1; r >= 0; r--)
        {
            theta[r] = ranges[r][index % ranges[r].Length];
            index /= ranges[r].Length;
        }
        return theta;
    }

    /// <summary>Mean Huber loss of the law θ on the points, and its gradient in θ.</summary>
    public static double Objective(double[] theta, IReadOnlyList<double[]> x, IReadOnlyList<double> y, double delta, double[] grad)
    {
        int n = y.Count, m = theta.Length - 2;
        Array.Clear(grad);
        double loss = 0;
        for (int i = 0; i < n; i++)
        {
            double s = theta[0];
            for (int k = 0; k < m; k++) s -= theta[2 + k] * Math.Log(x[i][k]);
            double g = Math.Exp(s), ee = Math.Exp(theta[1]), r = g + ee - y[i], ar = Math.Abs(r);
            loss += ar < delta ? 0.5 * r * r : delta * (ar - 0.5 * delta);
            double dr = (r < -delta ? -delta : r > delta ? delta : r) / n;
            grad[0] += dr * g;
            grad[1] += dr * ee;
            for (int k = 0; k < m; k++) grad[2 + k] -= dr * g * Math.Log(x[i][k]);
        }
        return loss / n;
    }

    /// <summary>Fit from one start: <paramref name="steps"/> L-BFGS steps; returns the objective torch's last step returns and θ.</summary>
    public static (double Loss, double[] Theta) FitFrom(double[] start, IReadOnlyList<double[]> x, IReadOnlyList<double> y, int steps, ScalingLawFitOptions o)
    {
        var theta = (double[])start.Clone();
        var opt = new Lbfgs(lr: 1, maxIter: o.MaxIterPerStep);
        double loss = double.NaN;
        for (int s = 0; s < steps; s++) loss = opt.Step(theta, (t, g) => Objective(t, x, y, o.HuberDelta, g));
        return (loss, theta);
    }

    /// <summary>
    /// Fit ℓ to the points (x_i, y_i) (each x_i has one value per input variable, all &gt; 0) and predict ℓ at
    /// <paramref name="xFinal"/>. Null when no refit is finite.
    /// </summary>
    public static ScalingLawFit? Fit(IReadOnlyList<double[]> x, IReadOnlyList<double> y, IReadOnlyList<double> xFinal, ScalingLawFitOptions? options = null)
    {
        var o = options ?? new ScalingLawFitOptions();
        if (x.Count != y.Count || x.Count == 0) throw new ArgumentException($"Scaling-law fit needs as many inputs as losses (got {x.Count} and {y.Count}), at least one.");
        int inputs = xFinal.Count;
        if (inputs < 1) throw new ArgumentException("Scaling-law fit needs at least one input variable.");
        foreach (var xi in x.Append(xFinal.ToArray()))
        {
            if (xi.Count() != inputs) throw new ArgumentException($"Every scaling-law input must have {inputs} values.");
            if (xi.Any(v => !(v > 0) || double.IsInfinity(v))) throw new ArgumentException("Scaling-law inputs must be finite and > 0 (the law takes their logarithm).");
        }
        var screened = new List<(double Loss, int Init)>();
        for (int init = 0; init < GridSize(inputs); init++)
        {
            var (loss, _) = FitFrom(GridStart(init, inputs), x, y, o.ScreenSteps, o);
            if (!double.IsNaN(loss)) screened.Add((loss, init));
        }
        // Sorted by (loss, init) as Python sorts the tuples; the best three.
        var best = screened.OrderBy(s => s.Loss).ThenBy(s => s.Init).Take(3).ToList();
        if (best.Count == 0) return null;
        double minY = y.Min();
        var kept = new List<double[]>();
        var refits = new List<ScalingLawRefit>();
        foreach (var (_, init) in best.AsEnumerable().Reverse())
        {
            var (_, theta) = FitFrom(GridStart(init, inputs), x, y, o.RefitSteps, o);
            double p = Evaluate(theta[0], theta[1], theta[2..], xFinal);
            if (o.ClipToObserved) p = Math.Max(Math.Min(p, minY), 0);
            var row = new[] { Math.Exp(theta[0]), Math.Exp(theta[1]) }.Concat(theta[2..]).Append(p).ToArray();
            if (row.Any(double.IsNaN)) continue;
            kept.Add(row);
            refits.Add(new ScalingLawRefit(init, Objective(theta, x, y, o.HuberDelta, new double[theta.Length]), new ScalingLawParameters(row[0], row[1], row[2..^1]), p));
        }
        if (kept.Count == 0) return null;
        var mean = Enumerable.Range(0, kept[0].Length).Select(i => kept.Average(r => r[i])).ToArray();
        return new ScalingLawFit(new ScalingLawParameters(mean[0], mean[1], mean[2..^1]), mean[^1], best.Average(b => b.Loss), refits);
    }
}
