using Engine.Diagnostics.OpCases;
using Engine.Runtime;

namespace Engine.Tests.Infrastructure;

/// <summary>
/// Finite-difference gradient check in f64 (the op table's <see cref="GradientRunner"/>): the tape's gradient of
/// L = Σ f(x)·w (w random, fixed) against central differences (L(x+ε) − L(x−ε)) / 2ε, element by element.
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
            if (x.RequiresGrad && x.DType != DType.F64) throw new ArgumentException("GradCheck inputs that require grad must be F64.");
        var wrt = Enumerable.Range(0, inputs.Length).Where(i => inputs[i].RequiresGrad).ToArray();
        var worst = GradientRunner.Check(f, inputs, wrt, atol, rtol, eps, seed, maxPerInput);
        for (int k = 0; k < wrt.Length; k++)
        {
            var w = worst[k];
            Assert.True(w.Ratio <= 1, $"grad mismatch input {wrt[k]} element {w.Element}: analytic {w.Analytic:G10} numeric {w.Numeric:G10} (diff {Math.Abs(w.Analytic - w.Numeric):G3})");
        }
    }
}
