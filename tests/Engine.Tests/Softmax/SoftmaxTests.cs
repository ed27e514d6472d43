using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Softmax;

public class SoftmaxTests
{
    /// <summary>Softmax along dim of a row-major tensor of the given shape, by plain loops.</summary>
    private static double[] SoftmaxRef(double[] x, int[] shape, int dim, bool log)
    {
        int outer = 1, inner = 1, n = shape[dim];
        for (int i = 0; i < dim; i++) outer *= shape[i];
        for (int i = dim + 1; i < shape.Length; i++) inner *= shape[i];
        var y = new double[x.Length];
        for (int o = 0; o < outer; o++)
            for (int c = 0; c < inner; c++)
            {
                int At(int j) => (o * n + j) * inner + c;
                double m = double.NegativeInfinity;
                for (int j = 0; j < n; j++) m = Math.Max(m, x[At(j)]);
                double s = 0;
                for (int j = 0; j < n; j++) s += Math.Exp(x[At(j)] - m);
                for (int j = 0; j < n; j++) y[At(j)] = log ? x[At(j)] - m - Math.Log(s) : Math.Exp(x[At(j)] - m) / s;
            }
        return y;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-1)]
    public void MatchesLoopAlongEveryDim(int dim)
    {
        int[] shape = [3, 5, 19];
        var x = Ops.Scale(Rand.N(1, DType.F32, shape), 4);
        int d = dim < 0 ? dim + 3 : dim;
        var xv = x.ToDoubleArray();
        Close.All(SoftmaxRef(xv, shape, d, false), Ops.Softmax(x, dim).ToDoubleArray(), 1e-6, 1e-5, "softmax");
        Close.All(SoftmaxRef(xv, shape, d, true), Ops.LogSoftmax(x, dim).ToDoubleArray(), 1e-5, 1e-5, "logsoftmax");
    }

    [Fact]
    public void LargeLogitsAndMinusInfinityStayFinite()
    {
        var x = Tensor.FromArray(new float[] { 1000, 999, float.NegativeInfinity, -1000, 5, 6, 7, 8 }, 2, 4);
        var p = Ops.Softmax(x).ToDoubleArray();
        var lp = Ops.LogSoftmax(x).ToDoubleArray();
        double e1 = Math.Exp(-1), z = 1 + e1;
        Assert.Equal(1 / z, p[0], 6);
        Assert.Equal(e1 / z, p[1], 6);
        Assert.Equal(0, p[2]);
        Assert.Equal(-Math.Log(z), lp[0], 5);
        Assert.True(double.IsNegativeInfinity(lp[2]));
        Close.All(SoftmaxRef([5, 6, 7, 8], [1, 4], 1, false), p[4..], 1e-6, 1e-5);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Gradients(int dim)
    {
        GradCheck.Check(xs => Ops.Softmax(xs[0], dim), [Rand.Param(11, 3, 4, 7)]);
        GradCheck.Check(xs => Ops.LogSoftmax(xs[0], dim), [Rand.Param(12, 3, 4, 7)]);
    }
}
