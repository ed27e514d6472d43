using Engine.Runtime;
using Engine.Tests.Infrastructure;
using Ref = Engine.Diagnostics.Cases.HardConcrete.HardConcreteReference;

namespace Engine.Tests.HardConcrete;

public class HardConcreteScoreTests
{
    /// <summary>Hand-computed vectors from the hard-concrete formulas (Louizos et al. 2018): P(z≠0) and the deterministic soft value.</summary>
    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F64)]
    public void SpecTestVectors(DType dt)
    {
        var la = Tensor.FromArray(new[] { 4.605, 0.0, -4.605 }, 3).To(dt);
        var score = Ops.HardConcreteScore(la).ToDoubleArray();
        Close.All([0.99798, 0.83182, 0.04714], score, 6e-6, 0, "P(z≠0)");
        var soft = Ops.HardConcreteEvalMask(la.Reshape(3, 1), targetSize: 1).ToDoubleArray(); // k = 0: every entry keeps its soft value
        Close.All([0.99603, 0.5, 0.00397], soft, 6e-6, 0, "soft value");
    }

    [Theory]
    [InlineData(DType.F32, 2e-7, 2e-6)]
    [InlineData(DType.F64, 1e-15, 1e-13)]
    public void ScoreMatchesCodeFormIncludingTheEpsClamp(DType dt, double atol, double rtol)
    {
        // Spread wide enough that both ends of the ε clamp are reached (|log α| ≳ 12).
        var la = Tensor.RandN([7, 53], 11, 8.0, dt);
        var got = Ops.HardConcreteScore(la).ToDoubleArray();
        var x = la.ToDoubleArray();
        Close.All(x.Select(Ref.Score).ToArray(), got, atol, rtol, "score");
        // The clamp is reached at both ends: the score never leaves [ε, 1 − ε] (to f32 rounding near 1).
        Assert.InRange(got.Min(), 0.99e-6, 1.1e-6);
        Assert.InRange(got.Max(), 1 - 1.1e-6, 1 - 0.99e-6);
    }

    [Fact]
    public void ScoreGradCheck()
    {
        var la = Tensor.RandN([5, 13], 21, 2.0, DType.F64);
        la.RequiresGrad = true;
        GradCheck.Check(xs => Ops.HardConcreteScore(xs[0]), [la]);
    }

    [Fact]
    public void ScoreGradientIsZeroWhereTheClampHolds()
    {
        var la = Tensor.FromArray(new[] { -20.0, 20.0, 0.3 }, 3);
        la.RequiresGrad = true;
        Ops.Sum(Ops.HardConcreteScore(la)).Backward();
        var g = la.Grad!.ToDoubleArray();
        Assert.Equal(0, g[0]);
        Assert.Equal(0, g[1]);
        double c = 1 - Ref.Score(0.3);
        Assert.Equal(c * (1 - c), g[2], 1e-14);
    }

    [Fact]
    public void ExpectedSparsityPerRowAndItsGradient()
    {
        var la = Tensor.RandN([4, 9], 31, 2.0, DType.F64);
        var got = Ops.HardConcreteExpectedSparsity(la).ToDoubleArray();
        var x = la.ToDoubleArray();
        var want = Enumerable.Range(0, 4).Select(r => 1 - Enumerable.Range(0, 9).Average(j => Ref.Score(x[r * 9 + j]))).ToArray();
        Close.All(want, got, 1e-14, 1e-12, "ŝ");
        la.RequiresGrad = true;
        GradCheck.Check(xs => Ops.HardConcreteExpectedSparsity(xs[0]), [la]);
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F64)]
    public void ClampLogAlphaToTheTrainerBox(DType dt)
    {
        var la = Tensor.FromArray(new[] { 5.0, -7.0, 1.25, -4.6, 4.6052 }, 5).To(dt);
        Ops.HardConcreteClampLogAlpha(la);
        double hi = Math.Log(100), lo = Math.Log(0.01);
        var want = new[] { hi, lo, 1.25, -4.6, Math.Min(4.6052, hi) };
        Close.All(want, la.ToDoubleArray(), dt == DType.F32 ? 1e-6 : 0, 0, "clamped log α");
    }
}
