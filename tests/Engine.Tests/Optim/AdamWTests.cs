using Engine.Runtime;
using Engine.Runtime.Optim;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Optim;

public class AdamWTests
{
    /// <summary>torch.optim.AdamW for one scalar, written from its documented update in f64.</summary>
    private sealed class ScalarAdamW(double lr, double b1, double b2, double eps, double wd)
    {
        public double M, V;
        public double Step(double p, double g, int t)
        {
            p -= lr * wd * p;
            M = b1 * M + (1 - b1) * g;
            V = b2 * V + (1 - b2) * g * g;
            double mHat = M / (1 - Math.Pow(b1, t));
            double vHat = V / (1 - Math.Pow(b2, t));
            return p - lr * mHat / (Math.Sqrt(vHat) + eps);
        }
    }

    private static Tensor Grad(ulong seed, Tensor p) => Tensor.RandN(p.Shape, seed, 1.0, p.DType);

    [Theory]
    [InlineData(DType.F64, 1e-12)]
    [InlineData(DType.F32, 2e-5)]
    public void SeveralStepsMatchScalarReference(DType dtype, double tol)
    {
        double lr = 3e-2, b1 = 0.9, b2 = 0.95, eps = 1e-6, wd = 0.1;
        var a = Tensor.RandN([3, 5], 1, 1.0, dtype);
        var b = Tensor.RandN([37], 2, 1.0, dtype);
        var opt = new AdamW([a, b], lr, b1, b2, eps, wd);
        var refA = a.ToDoubleArray(); var refB = b.ToDoubleArray();
        var sa = refA.Select(_ => new ScalarAdamW(lr, b1, b2, eps, wd)).ToArray();
        var sb = refB.Select(_ => new ScalarAdamW(lr, b1, b2, eps, wd)).ToArray();
        for (int t = 1; t <= 6; t++)
        {
            a.Grad = Grad(100 + (ulong)t, a); b.Grad = Grad(200 + (ulong)t, b);
            var ga = a.Grad.ToDoubleArray(); var gb = b.Grad.ToDoubleArray();
            opt.Step();
            for (int i = 0; i < refA.Length; i++) refA[i] = sa[i].Step(refA[i], ga[i], t);
            for (int i = 0; i < refB.Length; i++) refB[i] = sb[i].Step(refB[i], gb[i], t);
            Close.All(refA, a.ToDoubleArray(), tol, tol, $"a after step {t}");
            Close.All(refB, b.ToDoubleArray(), tol, tol, $"b after step {t}");
        }
        Assert.Equal(6, opt.StepCount);
        var (m, v) = opt.State[1];
        Close.All(sb.Select(s => s.M).ToArray(), m.ToDoubleArray(), tol, tol, "m");
        Close.All(sb.Select(s => s.V).ToArray(), v.ToDoubleArray(), tol, tol, "v");
        Assert.Equal(dtype, m.DType);
    }

    [Fact]
    public void LargeF32ParameterMatchesReferenceAcrossChunks()
    {
        // 70k elements: chunked in parallel with a vector tail.
        var p = Tensor.RandN([70_001], 3, 1.0, DType.F32);
        var opt = new AdamW([p], lr: 1e-2, weightDecay: 0.05);
        var r = p.ToDoubleArray();
        var s = r.Select(_ => new ScalarAdamW(1e-2, 0.9, 0.999, 1e-8, 0.05)).ToArray();
        for (int t = 1; t <= 2; t++)
        {
            p.Grad = Grad(40 + (ulong)t, p);
            var g = p.Grad.ToDoubleArray();
            opt.Step();
            for (int i = 0; i < r.Length; i++) r[i] = s[i].Step(r[i], g[i], t);
        }
        Close.All(r, p.ToDoubleArray(), 2e-5, 2e-5);
    }

    [Fact]
    public void ParametersWithoutGradAreSkipped()
    {
        var a = Rand.N(1, DType.F32, 9);
        var b = Rand.N(2, DType.F32, 9);
        var before = b.ToFloatArray();
        var opt = new AdamW([a, b]);
        a.Grad = Grad(3, a);
        opt.Step();
        Assert.Equal(before, b.ToFloatArray());
        Assert.All(opt.State[1].v.ToFloatArray(), x => Assert.Equal(0f, x));
        opt.ZeroGrad();
        Assert.Null(a.Grad);
    }

    [Fact]
    public void LoadStateReproducesTheNextStepBitwise()
    {
        var p1 = Rand.N(1, DType.F32, 7, 13);
        var opt1 = new AdamW([p1], lr: 5e-3, weightDecay: 0.02);
        for (int t = 0; t < 3; t++) { p1.Grad = Grad(10 + (ulong)t, p1); opt1.Step(); }

        // A fresh optimizer over a copy of the parameter, restored from copies of the state (as a checkpoint would be).
        var p2 = p1.Clone();
        var opt2 = new AdamW([p2], lr: 5e-3, weightDecay: 0.02);
        opt2.LoadState(opt1.StepCount, opt1.State.Select(s => (s.m.Clone(), s.v.Clone())).ToList());
        Assert.Equal(3, opt2.StepCount);

        var g = Grad(99, p1);
        p1.Grad = g; p2.Grad = g.Clone();
        opt1.Step(); opt2.Step();
        Assert.Equal(p1.ToArray<float>(), p2.ToArray<float>());
        Assert.Equal(opt1.State[0].m.ToArray<float>(), opt2.State[0].m.ToArray<float>());
        Assert.Equal(opt1.State[0].v.ToArray<float>(), opt2.State[0].v.ToArray<float>());
    }

    [Fact]
    public void LoadStateRejectsMismatchedShapes()
    {
        var p = Rand.N(1, DType.F32, 4);
        var opt = new AdamW([p]);
        Assert.Throws<ArgumentException>(() => opt.LoadState(1, [(Tensor.Zeros([5]), Tensor.Zeros([5]))]));
        Assert.Throws<ArgumentException>(() => opt.LoadState(1, []));
    }

    [Fact]
    public void TrainsAQuadraticThroughAutograd()
    {
        // Minimise ‖w − target‖² with autograd gradients: AdamW without decay converges.
        var target = Rand.N(5, DType.F64, 11);
        var w = Rand.Param(6, 11);
        var opt = new AdamW([w], lr: 0.1, weightDecay: 0);
        for (int i = 0; i < 300; i++)
        {
            opt.ZeroGrad();
            Ops.Sum(Ops.Square(Ops.Sub(w, target))).Backward();
            opt.Step();
        }
        Close.All(target.ToDoubleArray(), w.ToDoubleArray(), 1e-2, 0);
    }
}
