using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Conv;

public class Conv1dTests
{
    /// <summary>The definition as a loop: y[b,o,t] = bias[o] + Σ_c Σ_k w[o,c,k]·x[b,c,t·s − p + k·d] (zero padding).</summary>
    private static double[] ConvRef(double[] x, double[] w, double[]? bias, int b, int cin, int l, int cout, int k, int s, int p, int d)
    {
        int lout = (l + 2 * p - d * (k - 1) - 1) / s + 1;
        var y = new double[b * cout * lout];
        for (int n = 0; n < b; n++)
            for (int o = 0; o < cout; o++)
                for (int t = 0; t < lout; t++)
                {
                    double acc = bias?[o] ?? 0;
                    for (int c = 0; c < cin; c++)
                        for (int j = 0; j < k; j++)
                        {
                            int i = t * s - p + j * d;
                            if (i >= 0 && i < l) acc += w[(o * cin + c) * k + j] * x[(n * cin + c) * l + i];
                        }
                    y[(n * cout + o) * lout + t] = acc;
                }
        return y;
    }

    [Theory]
    [InlineData(2, 13, 50, 24, 3, 1, 1, 1)]  // Whisper's conv1
    [InlineData(2, 24, 50, 24, 3, 2, 1, 1)]  // Whisper's conv2: stride 2
    [InlineData(3, 5, 37, 7, 5, 3, 4, 2)]    // dilated, padding wider than the dilation reach
    [InlineData(1, 1, 9, 2, 9, 1, 0, 1)]     // kernel as long as the input: one output
    public void MatchesTheLoopDefinition(int b, int cin, int l, int cout, int k, int s, int p, int d)
    {
        foreach (var (dt, tol) in new[] { (DType.F32, 1e-5), (DType.F64, 1e-12) })
        {
            var x = Rand.N(1, dt, b, cin, l);
            var w = Rand.N(2, dt, cout, cin, k);
            var bias = Rand.N(3, dt, cout);
            var y = Ops.Conv1d(x, w, bias, s, p, d);
            int lout = (l + 2 * p - d * (k - 1) - 1) / s + 1;
            Assert.Equal([b, cout, lout], y.ShapeArray());
            Close.All(ConvRef(x.ToDoubleArray(), w.ToDoubleArray(), bias.ToDoubleArray(), b, cin, l, cout, k, s, p, d), y.ToDoubleArray(), tol, tol, $"{dt}");
            Close.All(ConvRef(x.ToDoubleArray(), w.ToDoubleArray(), null, b, cin, l, cout, k, s, p, d), Ops.Conv1d(x, w, null, s, p, d).ToDoubleArray(), tol, tol, $"{dt} no bias");
        }
    }

    [Fact]
    public void StridedInputViewIsReadAsItsValues()
    {
        var x = Rand.N(4, DType.F32, 2, 11, 6).Transpose(1, 2); // [2, 6, 11], strided
        var w = Rand.N(5, DType.F32, 4, 6, 3);
        Close.All(ConvRef(x.ToDoubleArray(), w.ToDoubleArray(), null, 2, 6, 11, 4, 3, 2, 1, 1), Ops.Conv1d(x, w, null, 2, 1).ToDoubleArray(), 1e-5, 1e-5);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 1, 1)]
    [InlineData(3, 4, 2)]
    public void GradientsMatchFiniteDifferences(int s, int p, int d)
    {
        GradCheck.Check(xs => Ops.Conv1d(xs[0], xs[1], xs[2], s, p, d), [Rand.Param(11, 2, 3, 17), Rand.Param(12, 4, 3, 3), Rand.Param(13, 4)], maxPerInput: 200);
        GradCheck.Check(xs => Ops.Conv1d(xs[0], xs[1], null, s, p, d), [Rand.Param(14, 3, 2, 13), Rand.Param(15, 5, 2, 2)], maxPerInput: 200);
    }

    [Fact]
    public void BadShapesNameTheProblem()
    {
        var x = Rand.N(1, DType.F32, 2, 3, 10);
        Assert.Contains("input channels", Assert.Throws<ArgumentException>(() => Ops.Conv1d(x, Rand.N(2, DType.F32, 4, 5, 3))).Message);
        Assert.Contains("bias must be [4]", Assert.Throws<ArgumentException>(() => Ops.Conv1d(x, Rand.N(2, DType.F32, 4, 3, 3), Rand.N(3, DType.F32, 5))).Message);
        Assert.Contains("shorter than the (dilated) kernel", Assert.Throws<ArgumentException>(() => Ops.Conv1d(x, Rand.N(2, DType.F32, 4, 3, 6), dilation: 2)).Message);
        Assert.Contains("[B, Cin, L]", Assert.Throws<ArgumentException>(() => Ops.Conv1d(Rand.N(1, DType.F32, 3, 10), Rand.N(2, DType.F32, 4, 3, 3))).Message);
    }
}
