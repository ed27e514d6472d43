using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Elementwise;

public class ElementwiseTests
{
    [Fact]
    public void BroadcastBinaryOpsMatchAPlainLoop()
    {
        var a = Rand.N(1, DType.F32, 3, 1, 17);
        var b = Rand.N(2, DType.F32, 5, 1);
        var av = a.ToDoubleArray(); var bv = b.ToDoubleArray();
        foreach (var (op, fn) in new (Func<Tensor, Tensor, Tensor>, Func<double, double, double>)[]
                 { (Ops.Add, (x, y) => x + y), (Ops.Sub, (x, y) => x - y), (Ops.Mul, (x, y) => x * y), (Ops.Div, (x, y) => x / y) })
        {
            var r = op(a, b);
            Assert.Equal(new[] { 3, 5, 17 }, r.ShapeArray());
            var expected = new double[3 * 5 * 17];
            for (int i = 0; i < 3; i++) for (int j = 0; j < 5; j++) for (int k = 0; k < 17; k++)
                expected[(i * 5 + j) * 17 + k] = fn(av[i * 17 + k], bv[j]);
            Close.All(expected, r.ToDoubleArray(), 1e-6, 1e-5);
        }
    }

    [Fact]
    public void SumOverDimsMatchesPlainLoop()
    {
        var x = Rand.N(5, DType.F64, 4, 3, 7);
        var v = x.ToDoubleArray();
        var s1 = Ops.Sum(x, 1).ToDoubleArray();
        var s02 = Ops.Sum(x, [0, 2], keepDim: false).ToDoubleArray();
        for (int i = 0; i < 4; i++) for (int k = 0; k < 7; k++)
            Assert.Equal(Enumerable.Range(0, 3).Sum(j => v[(i * 3 + j) * 7 + k]), s1[i * 7 + k], 12);
        for (int j = 0; j < 3; j++)
            Assert.Equal(Enumerable.Range(0, 4).SelectMany(i => Enumerable.Range(0, 7).Select(k => v[(i * 3 + j) * 7 + k])).Sum(), s02[j], 12);
        Assert.Equal(v.Sum(), Ops.Sum(x).Item(), 10);
    }

    /// <summary>f32 tanh keeps its relative accuracy near 0 (TensorPrimitives.Tanh alone is off by up to 4e-2 there).</summary>
    [Fact]
    public void F32TanhIsAccurateNearZeroAndAway()
    {
        var rng = new Random(7);
        var v = Enumerable.Range(0, 4001).Select(i => (float)((rng.NextDouble() * 2 - 1) * Math.Pow(10, -6 + 7 * (i % 8) / 7.0))).ToArray();
        var y = Ops.Tanh(Tensor.FromArray(v, v.Length)).ToArray<float>();
        for (int i = 0; i < v.Length; i++)
        {
            double want = Math.Tanh(v[i]);
            Assert.True(Math.Abs(y[i] - want) <= 1e-6 * Math.Abs(want) + 1e-45, $"tanh({v[i]:R}) = {y[i]:R}, want {want:R}");
        }
    }

    [Fact]
    public void UnaryOpsMatchMath()
    {
        var x = Rand.N(6, DType.F64, 33);
        var v = x.ToDoubleArray();
        Close.All(v.Select(Math.Exp).ToArray(), Ops.Exp(x).ToDoubleArray(), 1e-14, 1e-12);
        Close.All(v.Select(t => 1 / (1 + Math.Exp(-t))).ToArray(), Ops.Sigmoid(x).ToDoubleArray(), 1e-14, 1e-12);
        Close.All(v.Select(t => -Math.Log(1 + Math.Exp(-t))).ToArray(), Ops.LogSigmoid(x).ToDoubleArray(), 1e-14, 1e-12);
        Close.All(v.Select(Math.Tanh).ToArray(), Ops.Tanh(x).ToDoubleArray(), 1e-14, 1e-12);
        // LogSigmoid stays finite where the naive formula overflows.
        Assert.Equal(-1000, Ops.LogSigmoid(Tensor.FromArray(new double[] { -1000 })).Item(), 9);
    }

    [Fact]
    public void BinaryGradientsWithBroadcasting()
    {
        var a = Rand.Param(11, 3, 1, 5);
        var b = Rand.Param(12, 4, 1);
        foreach (var op in new Func<Tensor, Tensor, Tensor>[] { Ops.Add, Ops.Sub, Ops.Mul })
            GradCheck.Check(xs => op(xs[0], xs[1]), [a, b]);
        var pos = Rand.Param(13, 4, 1);
        using (Autograd.NoGrad()) pos.AsSpan<double>().ToArray();
        for (int i = 0; i < 4; i++) pos.AsSpan<double>()[i] = 1.5 + Math.Abs(pos.AsSpan<double>()[i]);
        GradCheck.Check(xs => Ops.Div(xs[0], xs[1]), [a, pos]);
    }

    [Fact]
    public void UnaryAndReductionGradients()
    {
        var x = Rand.Param(21, 3, 7);
        foreach (var op in new Func<Tensor, Tensor>[] { Ops.Exp, Ops.Sigmoid, Ops.LogSigmoid, Ops.Tanh, Ops.Square, Ops.Neg })
            GradCheck.Check(xs => op(xs[0]), [x]);
        var p = Rand.Param(22, 9);
        for (int i = 0; i < 9; i++) p.AsSpan<double>()[i] = 0.5 + Math.Abs(p.AsSpan<double>()[i]);
        GradCheck.Check(xs => Ops.Log(xs[0]), [p]);
        GradCheck.Check(xs => Ops.Sqrt(xs[0]), [p]);
        GradCheck.Check(xs => Ops.Sum(xs[0], 1, keepDim: true), [x]);
        GradCheck.Check(xs => Ops.Mean(xs[0], 0), [x]);
        GradCheck.Check(xs => Ops.Affine(xs[0], -2.5, 0.75), [x]);
    }

    [Fact]
    public void ViewGradients()
    {
        var x = Rand.Param(31, 2, 3, 5);
        GradCheck.Check(xs => Ops.Mul(xs[0].Transpose(0, 2).Contiguous(), xs[0].Transpose(0, 2)), [x]);
        GradCheck.Check(xs => xs[0].Narrow(2, 1, 3).Reshape(6, 3), [x]);
        GradCheck.Check(xs => xs[0].Permute(2, 0, 1).Reshape(5, 6), [x]);
    }

    [Fact]
    public void GradientsAccumulateAcrossBackwardCalls()
    {
        var x = Rand.Param(41, 4);
        Ops.Sum(Ops.Square(x)).Backward();
        var g1 = x.Grad!.ToDoubleArray();
        Ops.Sum(Ops.Square(x)).Backward();
        var g2 = x.Grad!.ToDoubleArray();
        for (int i = 0; i < 4; i++) Assert.Equal(2 * g1[i], g2[i], 12);
        x.ZeroGrad();
        Assert.Null(x.Grad);
        using (Autograd.NoGrad())
        {
            var y = Ops.Square(x);
            Assert.False(y.RequiresGrad);
        }
    }
}
