using Engine.Runtime;
using Engine.Tests.Infrastructure;
using static Engine.Tests.MixedPrecision.Bf16Reference;

namespace Engine.Tests.MixedPrecision;

/// <summary>
/// The autocast matmul against an explicit reference: operands rounded to bf16 by a plain loop, products summed in f64.
/// Products of two bf16 values are exact in f32, so the only allowed difference is f32 accumulation (≤ 1e-6 of Σ|a·b|);
/// every test also checks that the f32 (unrounded) product is farther than that, so the rounding is really observed.
/// </summary>
public class AutocastOpTests
{
    private const double Tol = 1e-6;

    private static void AssertRoundingMatters(double[] exactF32, double[] expected, double[] mag)
        => Assert.True(MaxError(expected, mag, exactF32) > 20 * Tol, "operand rounding should be visible in this data");

    [Theory]
    [InlineData(1, 7, 37, 23)]
    [InlineData(3, 5, 64, 17)]
    [InlineData(2, 33, 129, 9)]
    public void LinearEqualsTheProductOfBf16RoundedOperands(int batch, int rows, int inF, int outF)
    {
        var x = Rand.N(11, DType.F32, batch, rows, inF);
        var w = Rand.N(12, DType.F32, outF, inF);
        Tensor y;
        using (Autocast.Enable()) y = Ops.Linear(x, w);
        Assert.Equal(DType.F32, y.DType);
        Assert.Equal([batch, rows, outF], y.ShapeArray());
        int m = batch * rows;
        var xd = x.ToDoubleArray(); var wt = T(w.ToDoubleArray(), outF, inF);
        var (expected, mag) = MatMul(Round(xd), Round(wt), m, inF, outF);
        Near(expected, mag, y.ToDoubleArray(), Tol, "autocast Linear");
        AssertRoundingMatters(MatMul(xd, wt, m, inF, outF).c, expected, mag);
        // Outside the scope the same call is plain f32.
        Near(MatMul(xd, wt, m, inF, outF).c, mag, Ops.Linear(x, w).ToDoubleArray(), Tol, "f32 Linear");
    }

    [Fact]
    public void BatchedMatMulWithATransposedViewEqualsTheReference()
    {
        int b = 3, m = 6, k = 41, n = 10;
        var a = Rand.N(21, DType.F32, b, m, k);
        var bt = Rand.N(22, DType.F32, b, n, k);            // read through a transposed view: [b, k, n]
        Tensor y;
        using (Autocast.Enable()) y = Ops.MatMul(a, bt.Transpose(1, 2));
        var ad = a.ToDoubleArray(); var btd = bt.ToDoubleArray(); var yd = y.ToDoubleArray();
        for (int i = 0; i < b; i++)
        {
            var ai = ad.AsSpan(i * m * k, m * k).ToArray();
            var bi = T(btd.AsSpan(i * n * k, n * k).ToArray(), n, k);
            var (e, mag) = MatMul(Round(ai), Round(bi), m, k, n);
            Near(e, mag, yd.AsSpan(i * m * n, m * n).ToArray(), Tol, $"batch {i}");
            if (i == 0) AssertRoundingMatters(MatMul(ai, bi, m, k, n).c, e, mag);
        }
    }

    [Fact]
    public void LinearGradientsAreTheReferenceFormulaWithBf16RoundedOperands()
    {
        int b = 2, t = 5, inF = 29, outF = 13;
        var x = Rand.N(31, DType.F32, b, t, inF); x.RequiresGrad = true;
        var w = Rand.N(32, DType.F32, outF, inF); w.RequiresGrad = true;
        var bias = Rand.N(33, DType.F32, outF); bias.RequiresGrad = true;
        var g = Rand.N(34, DType.F32, b, t, outF);           // dL/dy: L = Σ y ⊙ G
        Tensor y;
        using (Autocast.Enable())
        {
            y = Ops.Linear(x, w, bias);
            Ops.Sum(Ops.Mul(y, g)).Backward();
        }
        Assert.Equal(DType.F32, x.Grad!.DType); Assert.Equal(DType.F32, w.Grad!.DType); Assert.Equal(DType.F32, bias.Grad!.DType);
        int m = b * t;
        var xd = x.ToDoubleArray(); var wd = w.ToDoubleArray(); var gd = g.ToDoubleArray();
        // Forward: bf16(x)·bf16(W)ᵀ + bias.
        var (yRef, yMag) = MatMul(Round(xd), Round(T(wd, outF, inF)), m, inF, outF);
        var bd = bias.ToDoubleArray();
        for (int i = 0; i < yRef.Length; i++) { yRef[i] += bd[i % outF]; yMag[i] += Math.Abs(bd[i % outF]); }
        Near(yRef, yMag, y.ToDoubleArray(), Tol, "forward");
        // dX = bf16(G)·bf16(W), dW = bf16(G)ᵀ·bf16(X), db = Σ G (f32, no rounding).
        var (gx, gxMag) = MatMul(Round(gd), Round(wd), m, outF, inF);
        Near(gx, gxMag, x.Grad.ToDoubleArray(), Tol, "dX");
        AssertRoundingMatters(MatMul(gd, wd, m, outF, inF).c, gx, gxMag);
        var (gw, gwMag) = MatMul(Round(T(gd, m, outF)), Round(xd), outF, m, inF);
        Near(gw, gwMag, w.Grad.ToDoubleArray(), Tol, "dW");
        AssertRoundingMatters(MatMul(T(gd, m, outF), xd, outF, m, inF).c, gw, gwMag);
        var gb = new double[outF]; var gbMag = new double[outF];
        for (int i = 0; i < gd.Length; i++) { gb[i % outF] += gd[i]; gbMag[i % outF] += Math.Abs(gd[i]); }
        Near(gb, gbMag, bias.Grad.ToDoubleArray(), Tol, "dbias");
    }

    [Fact]
    public void MatMulGradientsOfASharedRank2OperandSumOverTheBatch()
    {
        int b = 3, m = 4, k = 19, n = 7;
        var a = Rand.N(41, DType.F32, b, m, k); a.RequiresGrad = true;
        var w = Rand.N(42, DType.F32, k, n); w.RequiresGrad = true;
        var g = Rand.N(43, DType.F32, b, m, n);
        using (Autocast.Enable()) Ops.Sum(Ops.Mul(Ops.MatMul(a, w), g)).Backward();
        var ad = a.ToDoubleArray(); var wd = w.ToDoubleArray(); var gd = g.ToDoubleArray();
        var (ga, gaMag) = MatMul(Round(gd), Round(T(wd, k, n)), b * m, n, k);
        Near(ga, gaMag, a.Grad!.ToDoubleArray(), Tol, "dA");
        var (gw, gwMag) = MatMul(Round(T(ad, b * m, k)), Round(gd), k, b * m, n);
        Near(gw, gwMag, w.Grad!.ToDoubleArray(), Tol, "dW");
        AssertRoundingMatters(MatMul(T(ad, b * m, k), gd, k, b * m, n).c, gw, gwMag);
    }

    [Fact]
    public void Bf16WeightsUnderAutocastAreConsumedAsTheyAre()
    {
        var x = Rand.N(51, DType.F32, 2, 9, 24);
        var wb = Rand.N(52, DType.F32, 15, 24).To(DType.BF16);
        Tensor y;
        using (Autocast.Enable()) y = Ops.Linear(x, wb);
        var (e, mag) = MatMul(Round(x.ToDoubleArray()), T(wb.ToDoubleArray(), 15, 24), 18, 24, 15);
        Near(e, mag, y.ToDoubleArray(), Tol, "x f32 · W bf16");
    }

    [Fact]
    public void F64OperandsAreNotAutocast()
    {
        var x = Rand.N(61, DType.F64, 3, 8); var w = Rand.N(62, DType.F64, 5, 8);
        Tensor y;
        using (Autocast.Enable()) y = Ops.Linear(x, w);
        Assert.Equal(DType.F64, y.DType);
        Assert.Equal(Ops.Linear(x, w).ToDoubleArray(), y.ToDoubleArray());
    }

    [Fact]
    public void WeightsAreCastOncePerScopeUntilAnUpdateInvalidatesThem()
    {
        var x = Rand.N(71, DType.F32, 4, 16);
        var w = Rand.N(72, DType.F32, 8, 16);
        using var scope = Autocast.Enable();
        var y1 = Ops.Linear(x, w).ToDoubleArray();
        var y2 = Ops.Linear(x, w).ToDoubleArray();
        Assert.Equal(1, scope.CastCount);
        Assert.Equal(y1, y2);
        using (var inner = Autocast.Enable())
        {
            Ops.Linear(x, w);
            Assert.Equal(1, inner.CastCount);                 // a nested scope shares the outer cache
        }
        // An in-place update, through another view of the same storage, marked as AdamW.Step marks it: the next call recasts.
        var view = w.Detach();
        using (Autograd.NoGrad()) Ops.Scale(view, 2.0).CopyTo(view);
        Autocast.MarkUpdated(view);
        var y3 = Ops.Linear(x, w).ToDoubleArray();
        Assert.Equal(2, scope.CastCount);
        for (int i = 0; i < y1.Length; i++) Assert.Equal(2 * y1[i], y3[i], 5);  // ×2 is exact in bf16: the new weights are used
        // Marking another weight leaves this cast valid.
        Autocast.MarkUpdated(Rand.N(73, DType.F32, 8, 16));
        Ops.Linear(x, w);
        Assert.Equal(2, scope.CastCount);
    }

    [Fact]
    public void AnAdamWStepInvalidatesTheCachedCasts()
    {
        var x = Rand.N(81, DType.F32, 3, 12);
        var w = Rand.N(82, DType.F32, 6, 12); w.RequiresGrad = true;
        var opt = new Engine.Runtime.Optim.AdamW([w], lr: 0.1, weightDecay: 0);
        using var scope = Autocast.Enable();
        Ops.Sum(Ops.Linear(x, w)).Backward();
        Assert.Equal(1, scope.CastCount);
        opt.Step();
        Ops.Linear(x, w);
        Assert.Equal(2, scope.CastCount);
    }

    [Fact]
    public void ScopesNestAndDisableRestoresF32()
    {
        Assert.Null(Autocast.ActiveDType);
        using (Autocast.Enable())
        {
            Assert.Equal(DType.BF16, Autocast.ActiveDType);
            using (Autocast.Disable())
            {
                Assert.Null(Autocast.ActiveDType);
                var x = Rand.N(91, DType.F32, 2, 8); var w = Rand.N(92, DType.F32, 3, 8);
                var (e, mag) = MatMul(x.ToDoubleArray(), T(w.ToDoubleArray(), 3, 8), 2, 8, 3);
                Near(e, mag, Ops.Linear(x, w).ToDoubleArray(), Tol, "f32 inside Disable");
            }
            Assert.Equal(DType.BF16, Autocast.ActiveDType);
        }
        Assert.Null(Autocast.ActiveDType);
        Assert.Null(Autocast.For(ComputePrecision.F32));
        Assert.Throws<ArgumentException>(() => Autocast.Enable(DType.F32));
    }
}
