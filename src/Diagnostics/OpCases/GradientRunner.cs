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

    /// <summary>The worst sampled element of one input: |numeric − analytic| / (atol + rtol·|numeric|) and its values.</summary>
    public readonly record struct Worst(double Ratio, int Element, double Analytic, double Numeric);

    /// <summary>
    /// <see cref="Check(Func{Tensor[], Tensor}, Tensor[], int[], double, double, double, ulong, int)"/> for a case: f64 copies of
    /// its float inputs (exact from f32/bf16) are the leaves, ids and masks are passed as they are.
    /// </summary>
    public static IReadOnlyList<double> Check(Gradient g, Tensor[] inputs, ulong seed, int elementsPerInput = ElementsPerInput)
    {
        var xs = inputs.Select(t => t.DType.IsFloat() ? t.To(DType.F64).Contiguous().Clone() : t).ToArray();
        foreach (var i in g.Wrt) xs[i].RequiresGrad = true;
        return Check(g.Function, xs, g.Wrt, g.Atol, g.Rtol, g.Eps, seed, elementsPerInput).Select(w => w.Ratio).ToArray();
    }

    /// <summary>
    /// The tape's gradient of L = Σ f(leaves)·w (w random, fixed) against central differences (L(x+ε) − L(x−ε)) / 2ε,
    /// perturbing the <paramref name="wrt"/> leaves in place (contiguous F64 tensors that require grad; <paramref name="f"/>
    /// may read them through other references, e.g. a model's parameters). The worst element per input.
    /// </summary>
    public static IReadOnlyList<Worst> Check(Func<Tensor[], Tensor> f, Tensor[] leaves, int[] wrt, double atol, double rtol, double eps, ulong seed, int elementsPerInput)
    {
        foreach (var i in wrt)
        {
            if (leaves[i].DType != DType.F64 || !leaves[i].RequiresGrad || !leaves[i].IsContiguous)
                throw new ArgumentException($"gradient check input {i} must be a contiguous F64 tensor that requires grad.");
            leaves[i].ZeroGrad();
        }
        var y = f(leaves);
        var w = Tensor.RandN(y.Shape, seed ^ 0x9E3779B97F4A7C15UL, 1.0, DType.F64);
        Ops.Sum(Ops.Mul(y, w)).Backward();
        double Loss()
        {
            using var _ = Autograd.NoGrad();
            return Ops.Sum(Ops.Mul(f(leaves), w)).Item();
        }
        var rng = new Random(unchecked((int)seed));
        var worst = new Worst[wrt.Length];
        for (int k = 0; k < wrt.Length; k++)
        {
            var x = leaves[wrt[k]];
            var analytic = (x.Grad ?? throw new InvalidOperationException($"input {wrt[k]} got no gradient")).ToDoubleArray();
            int n = (int)x.NumElements;
            var picks = n <= elementsPerInput ? Enumerable.Range(0, n) : Enumerable.Range(0, elementsPerInput).Select(_ => rng.Next(n)).Distinct();
            foreach (var j in picks)
            {
                double orig = x.AsSpan<double>()[j];
                x.AsSpan<double>()[j] = orig + eps; double lp = Loss();
                x.AsSpan<double>()[j] = orig - eps; double lm = Loss();
                x.AsSpan<double>()[j] = orig;
                double numeric = (lp - lm) / (2 * eps);
                double ratio = Math.Abs(numeric - analytic[j]) / (atol + rtol * Math.Abs(numeric));
                if (double.IsNaN(ratio) || !(ratio <= worst[k].Ratio)) worst[k] = new Worst(ratio, j, analytic[j], numeric);
                if (double.IsNaN(ratio)) break;
            }
        }
        return worst;
    }
}
