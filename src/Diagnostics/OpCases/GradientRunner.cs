using Engine.Runtime;

namespace Engine.Diagnostics.OpCases;

/// <summary>
/// The tape's gradient of each case's <see cref="Gradient.Function"/> against central finite differences in f64, on the
/// CPU: for L = Σ f(x)·w (w random, fixed), each sampled element's |numeric − analytic| / (atol + rtol·|numeric|);
/// the row's error is the worst ratio and passes at ≤ 1.
/// </summary>
public static class GradientRunner
{
    /// <summary>Elements checked per input (all of them when the input is smaller); each costs two evaluations.</summary>
    public const int ElementsPerInput = 16;

    public static IReadOnlyList<Row> Run(IEnumerable<OpCase> cases, ulong seed, Action<Row>? onRow = null)
    {
        var rows = new List<Row>();
        foreach (var c in cases)
        {
            if (c.DeviceOnly || c.Gradient is not { } g) continue;
            IReadOnlyList<double> worst;
            try { worst = Check(g, c.Inputs(CaseData.SeedFor(c, seed)), CaseData.SeedFor(c, seed)); }
            catch (Exception e) { var r = Row.Threw(c, "cpu", Mode.Gradient, "the gradient check", e); rows.Add(r); onRow?.Invoke(r); continue; }
            for (int i = 0; i < g.Wrt.Length; i++)
            {
                var r = new Row(c.Family, $"{c.Name} d/input{g.Wrt[i]}", c.Shape, "cpu", Mode.Gradient, "fd", worst[i], 1);
                rows.Add(r); onRow?.Invoke(r);
            }
        }
        return rows;
    }

    /// <summary>The worst |numeric − analytic| / (atol + rtol·|numeric|) per input of <see cref="Gradient.Wrt"/>.</summary>
    public static IReadOnlyList<double> Check(Gradient g, Tensor[] inputs, ulong seed)
    {
        // f64 leaves for the float inputs (exact from f32/bf16), ids and masks as they are.
        var xs = inputs.Select(t => t.DType.IsFloat() ? t.To(DType.F64).Contiguous().Clone() : t).ToArray();
        foreach (var i in g.Wrt) xs[i].RequiresGrad = true;
        var y = g.Function(xs);
        var w = Tensor.RandN(y.Shape, seed ^ 0x9E3779B97F4A7C15UL, 1.0, DType.F64);
        Ops.Sum(Ops.Mul(y, w)).Backward();
        double Loss()
        {
            using var _ = Autograd.NoGrad();
            return Ops.Sum(Ops.Mul(g.Function(xs), w)).Item();
        }
        var rng = new Random(unchecked((int)seed));
        var worst = new double[g.Wrt.Length];
        for (int k = 0; k < g.Wrt.Length; k++)
        {
            var x = xs[g.Wrt[k]];
            var analytic = (x.Grad ?? throw new InvalidOperationException($"input {g.Wrt[k]} got no gradient")).ToDoubleArray();
            int n = (int)x.NumElements;
            var picks = n <= ElementsPerInput ? Enumerable.Range(0, n) : Enumerable.Range(0, ElementsPerInput).Select(_ => rng.Next(n)).Distinct();
            foreach (var j in picks)
            {
                var data = x.AsSpan<double>();
                double orig = data[j];
                data[j] = orig + g.Eps; double lp = Loss();
                x.AsSpan<double>()[j] = orig - g.Eps; double lm = Loss();
                x.AsSpan<double>()[j] = orig;
                double numeric = (lp - lm) / (2 * g.Eps);
                double ratio = Math.Abs(numeric - analytic[j]) / (g.Atol + g.Rtol * Math.Abs(numeric));
                worst[k] = double.IsNaN(ratio) ? double.NaN : Math.Max(worst[k], ratio);
            }
        }
        return worst;
    }
}
