using Engine.Diagnostics.Cases.Loss;
using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Loss;

public class SymmetricKlTests
{
    [Fact]
    public void MatchesSumOfBothKlDirections()
    {
        const int vocab = 101;
        var p = Tensor.RandN([3, 5, vocab], 1, 2.0, DType.F64);
        var q = Tensor.RandN([3, 5, vocab], 2, 2.0, DType.F64);
        var pv = p.ToDoubleArray(); var qv = q.ToDoubleArray();
        var expected = Enumerable.Range(0, 15).Select(i => LossReference.Kl(pv, qv, i, vocab) + LossReference.Kl(qv, pv, i, vocab)).ToArray();
        var y = Ops.SymmetricKl(p, q);
        Assert.Equal(new[] { 3, 5 }, y.ShapeArray());
        Close.All(expected, y.ToDoubleArray(), 1e-13, 1e-12);
        Close.All(expected, Ops.SymmetricKl(p.To(DType.F32), q.To(DType.F32)).ToDoubleArray(), 1e-5, 1e-4, "f32");
    }

    [Fact]
    public void ZeroForShiftedLogitsPositiveOtherwise()
    {
        const int rows = 4, vocab = 37;
        var p = Rand.N(3, DType.F64, rows, vocab);
        var pv = p.ToDoubleArray();
        var shifted = new double[pv.Length];
        for (int i = 0; i < rows; i++) for (int v = 0; v < vocab; v++) shifted[i * vocab + v] = pv[i * vocab + v] + 3.25 * (i + 1) - 2;
        var same = Ops.SymmetricKl(p, Tensor.FromArray(shifted, rows, vocab)).ToDoubleArray();
        Assert.All(same, v => Assert.True(Math.Abs(v) < 1e-13, $"expected 0 for shifted logits, got {v}"));
        var q = Rand.N(4, DType.F64, rows, vocab);
        var diff = Ops.SymmetricKl(p, q).ToDoubleArray();
        Assert.All(diff, v => Assert.True(v > 1e-3, $"expected a positive divergence, got {v}"));
        // A small perturbation of one logit gives a small positive value.
        shifted[5] += 1e-3;
        var small = Ops.SymmetricKl(p, Tensor.FromArray(shifted, rows, vocab)).ToDoubleArray();
        Assert.True(small[0] > 0 && small[0] < 1e-5, $"small perturbation gave {small[0]}");
    }

    [Fact]
    public void GradCheckBothInputs()
    {
        var p = Rand.Param(5, 3, 5, 37);
        var q = Rand.Param(6, 3, 5, 37);
        GradCheck.Check(xs => Ops.SymmetricKl(xs[0], xs[1]), [p, q], maxPerInput: 96);
    }

    [Fact]
    public void GradCheckOneInputAndGradientVanishesAtEquality()
    {
        var p = Rand.Param(7, 4, 101);
        var q = Rand.N(8, DType.F64, 4, 101);
        GradCheck.Check(xs => Ops.SymmetricKl(xs[0], xs[1]), [p, q]);
        // At P == Q the divergence is minimal, so its gradient is zero.
        var a = Rand.Param(9, 2, 37);
        var b = Tensor.FromArray(a.ToDoubleArray(), 2, 37);
        b.RequiresGrad = true;
        Ops.Sum(Ops.SymmetricKl(a, b)).Backward();
        Assert.All(a.Grad!.ToDoubleArray(), g => Assert.True(Math.Abs(g) < 1e-15));
        Assert.All(b.Grad!.ToDoubleArray(), g => Assert.True(Math.Abs(g) < 1e-15));
    }

    [Fact]
    public void LargeRowsRunInParallelAndMatch()
    {
        const int rows = 67, vocab = 2003;
        var p = Tensor.RandN([rows, vocab], 10, 1.5, DType.F32);
        var q = Tensor.RandN([rows, vocab], 11, 1.5, DType.F32);
        var pv = p.ToDoubleArray(); var qv = q.ToDoubleArray();
        var expected = Enumerable.Range(0, rows).Select(i => LossReference.Kl(pv, qv, i, vocab) + LossReference.Kl(qv, pv, i, vocab)).ToArray();
        Close.All(expected, Ops.SymmetricKl(p, q).ToDoubleArray(), 1e-4, 1e-4);
    }
}
