using Engine.Runtime;

namespace Engine.Tests.Infrastructure;

/// <summary>
/// Finite-difference gradient check in f64: compares the tape's gradient of L = Σ f(x)·w
/// (w random, fixed) with central differences (L(x+ε) − L(x−ε)) / 2ε, element by element.
/// </summary>
public static class GradCheck
{
    /// <param name="f">The op under test; gets the inputs, returns one tensor.</param>
    /// <param name="inputs">F64 tensors; those with RequiresGrad are checked.</param>
    /// <param name="maxPerInput">Elements sampled per input (all when the input is smaller).</param>
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-7, double rtol = 1e-5,
        int maxPerInput = 64, ulong seed = 1234)
    {
        foreach (var x in inputs)
        {
            if (x.RequiresGrad && x.DType != DType.F64) throw new ArgumentException("GradCheck inputs that require grad must be F64.");
            x.ZeroGrad();
        }
        var y0 = f(inputs);
        var w = Tensor.RandN(y0.Shape, seed, 1.0, DType.F64);
        var loss = Ops.Sum(Ops.Mul(y0, w));
        loss.Backward();

        double L(Tensor[] xs)
        {
            using var _ = Autograd.NoGrad();
            return Ops.Sum(Ops.Mul(f(xs), w)).Item();
        }

        var rng = new Random((int)seed);
        for (int i = 0; i < inputs.Length; i++)
        {
            var x = inputs[i];
            if (!x.RequiresGrad) continue;
            Assert.True(x.Grad is not null, $"input {i} got no gradient");
            var analytic = x.Grad!.ToDoubleArray();
            var data = x.AsSpan<double>();
            var n = data.Length;
            var idxs = n <= maxPerInput ? Enumerable.Range(0, n) : Enumerable.Range(0, maxPerInput).Select(_ => rng.Next(n)).Distinct();
            foreach (var j in idxs)
            {
                var orig = data[j];
                x.AsSpan<double>()[j] = orig + eps; var lp = L(inputs);
                x.AsSpan<double>()[j] = orig - eps; var lm = L(inputs);
                x.AsSpan<double>()[j] = orig;
                var numeric = (lp - lm) / (2 * eps);
                var diff = Math.Abs(numeric - analytic[j]);
                Assert.True(diff <= atol + rtol * Math.Abs(numeric),
                    $"grad mismatch input {i} element {j}: analytic {analytic[j]:G10} numeric {numeric:G10} (diff {diff:G3})");
            }
        }
    }
}
