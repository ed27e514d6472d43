using Engine.Runtime;
using Engine.Tests.Infrastructure;
using Ref = Engine.Diagnostics.Cases.HardConcrete.HardConcreteReference;

namespace Engine.Tests.HardConcrete;

public class HardConcreteEvalMaskTests
{
    private static double[] Row(double[] all, int r, int n) => all.AsSpan(r * n, n).ToArray();

    [Theory]
    [InlineData(DType.F32, 5, 37)]
    [InlineData(DType.F32, 3, 1000)]
    [InlineData(DType.F64, 4, 257)]
    public void ZerosTheExpectedNumberOfSmallestEntries(DType dt, int rows, int n)
    {
        // Mean −1: a good part of each row is expected to be pruned.
        var la = Tensor.RandN([rows, n], (ulong)(91 + n), 2.5, dt);
        la = Ops.AddScalar(la, -1);
        var y = Ops.HardConcreteEvalMask(la).ToDoubleArray();
        var x = la.ToDoubleArray();
        for (int r = 0; r < rows; r++)
        {
            var xr = Row(x, r, n);
            double frac = n - xr.Sum(Ref.Score) - Math.Floor(n - xr.Sum(Ref.Score));
            Assert.True(Math.Abs(frac - 0.5) > 1e-6, "test input sits on a rounding tie; pick another seed");
            int k = Ref.ZerosFromScore(xr);
            Assert.InRange(k, 1, n - 1);
            var want = Ref.EvalMaskRow(xr, k);
            var got = Row(y, r, n);
            Assert.Equal(k, got.Count(v => v == 0));
            Assert.Equal(want.Select(v => v == 0), got.Select(v => v == 0));
            Close.All(want, got, 1e-7, 1e-6, $"row {r}");
            // Every zeroed entry has a soft value ≤ every survivor's.
            double maxZeroed = Enumerable.Range(0, n).Where(j => got[j] == 0).Max(j => Ref.Soft(xr[j]));
            Assert.True(maxZeroed <= got.Where(v => v != 0).Min());
        }
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F64)]
    public void TargetSizeKeepsExactlyThatManySurvivors(DType dt)
    {
        const int n = 211;
        var la = Tensor.RandN([6, n], 101, 1.0, dt);
        var x = la.ToDoubleArray();
        foreach (int target in new[] { 0, 1, 100, n - 1, n })
        {
            var y = Ops.HardConcreteEvalMask(la, target).ToDoubleArray();
            for (int r = 0; r < 6; r++)
            {
                var got = Row(y, r, n);
                Assert.Equal(target, got.Count(v => v != 0));
                Close.All(Ref.EvalMaskRow(Row(x, r, n), n - target), got, 1e-7, 1e-6, $"target {target} row {r}");
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.HardConcreteEvalMask(la, n + 1));
    }

    /// <summary>Most log α sit at the clamp bound ln 100 (the state right after init): among equal values the lower index is kept.</summary>
    [Fact]
    public void TiesKeepTheLowerIndex()
    {
        double hi = Math.Log(100);
        var x = new double[] { hi, -1, hi, 0.5, hi, hi, -1, hi, 0.5 };
        var la = Tensor.FromArray(x, 1, 9).To(DType.F32);
        // k = 9 − 3 = 6: the two −1s, the two 0.5s, then two of the five ln 100s: indices 7 and 5 (the highest).
        var got = Ops.HardConcreteEvalMask(la, targetSize: 3).ToDoubleArray();
        Assert.Equal(new[] { true, false, true, false, true, false, false, false, false }, got.Select(v => v != 0).ToArray());
        // −1 tied twice with k = 1: index 6 goes first.
        var got1 = Ops.HardConcreteEvalMask(la, targetSize: 8).ToDoubleArray();
        Assert.Equal(0, got1[6]);
        Assert.NotEqual(0, got1[1]);
    }

    [Fact]
    public void LayerMaskRowsOfOneDropWhenTheScoreIsBelowOneHalf()
    {
        // Rows of size 1 (the [L] layer mask as [L, 1]): k = round(1 − score) = 1 iff score < 0.5 (log α < −1.5986).
        var x = new[] { -3.0, -1.7, -1.5, 0.2, 4.6 };
        var y = Ops.HardConcreteEvalMask(Tensor.FromArray(x, 5, 1)).ToDoubleArray();
        Assert.Equal(new[] { 0.0, 0.0 }, y[..2]);
        Close.All(x[2..].Select(Ref.Soft).ToArray(), y[2..], 1e-7, 1e-6, "kept layers");
    }

    [Fact]
    public void F32AndF64AgreeOnTheZeroPatternAndRankOneIsOneRow()
    {
        var la = Tensor.RandN([777], 111, 2.0);
        var a = Ops.HardConcreteEvalMask(la).ToDoubleArray();
        var b = Ops.HardConcreteEvalMask(la.To(DType.F64)).ToDoubleArray();
        Assert.Equal(a.Select(v => v == 0), b.Select(v => v == 0));
        Assert.Equal(Ref.ZerosFromScore(la.ToDoubleArray()), a.Count(v => v == 0));
    }

    [Fact]
    public void DeterministicExpIsAccurate()
    {
        var rng = new Random(5);
        for (int i = 0; i < 2000; i++)
        {
            double x = rng.NextDouble() * 80 - 40;
            double e = Engine.Runtime.HardConcrete.DeterministicExp(x);
            Assert.True(Math.Abs(e - Math.Exp(x)) <= 4e-16 * Math.Exp(x), $"exp({x:R}) = {Math.Exp(x):R}, got {e:R}");
        }
        Assert.Equal(1.0, Engine.Runtime.HardConcrete.DeterministicExp(0));
    }

    [Fact]
    public void RowScoreSumIsTheSumOfScoresAndKRoundsHalfToEven()
    {
        var x = Tensor.RandN([1000], 141, 3.0, DType.F64).ToDoubleArray();
        double sum = Engine.Runtime.HardConcrete.RowScoreSum(j => x[j], x.Length);
        Assert.Equal(x.Sum(Ref.Score), sum, 1e-9);
        // Python's round: 2.5 → 2, 3.5 → 4; clamped to [0, n].
        Assert.Equal(2, Engine.Runtime.HardConcrete.ZerosFromScore(7.5, 10));
        Assert.Equal(4, Engine.Runtime.HardConcrete.ZerosFromScore(6.5, 10));
        Assert.Equal(3, Engine.Runtime.HardConcrete.ZerosFromScore(6.6, 10));
        Assert.Equal(0, Engine.Runtime.HardConcrete.ZerosFromScore(10.4, 10));
    }
}
