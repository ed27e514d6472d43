using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Norm;

public class NormTests
{
    private static double[] RmsNormRef(double[] x, double[] w, int d, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r < x.Length / d; r++)
        {
            double ss = 0;
            for (int j = 0; j < d; j++) ss += x[r * d + j] * x[r * d + j];
            double inv = 1 / Math.Sqrt(ss / d + eps);
            for (int j = 0; j < d; j++) y[r * d + j] = x[r * d + j] * inv * w[j];
        }
        return y;
    }

    private static double[] LayerNormRef(double[] x, double[] w, double[]? b, int d, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r < x.Length / d; r++)
        {
            double mu = 0, v = 0;
            for (int j = 0; j < d; j++) mu += x[r * d + j];
            mu /= d;
            for (int j = 0; j < d; j++) v += (x[r * d + j] - mu) * (x[r * d + j] - mu);
            v /= d;
            for (int j = 0; j < d; j++) y[r * d + j] = (x[r * d + j] - mu) / Math.Sqrt(v + eps) * w[j] + (b?[j] ?? 0);
        }
        return y;
    }

    [Theory]
    [InlineData(DType.F32, 1e-5, 1e-5)]
    [InlineData(DType.F64, 1e-12, 1e-12)]
    public void RmsNormMatchesLoop(DType dt, double atol, double rtol)
    {
        var x = Rand.N(1, dt, 3, 5, 37);
        var w = Rand.N(2, dt, 37);
        var y = Ops.RmsNorm(x, w, 1e-6);
        Assert.Equal(x.ShapeArray(), y.ShapeArray());
        Close.All(RmsNormRef(x.ToDoubleArray(), w.ToDoubleArray(), 37, 1e-6), y.ToDoubleArray(), atol, rtol, "rmsnorm");
    }

    [Fact]
    public void RmsNormOverHeadDimOfAStridedView()
    {
        // Qwen3 q-norm: normalise each head's head_dim slice of a transposed [B, H, T, D] view.
        var x = Rand.N(3, DType.F32, 2, 7, 3, 12).Transpose(1, 2); // [2, 3, 7, 12], strided
        var w = Rand.N(4, DType.F32, 12);
        var y = Ops.RmsNorm(x, w, 1e-6);
        Close.All(RmsNormRef(x.ToDoubleArray(), w.ToDoubleArray(), 12, 1e-6), y.ToDoubleArray(), 1e-5, 1e-5);
    }

    [Fact]
    public void LayerNormMatchesLoopWithAndWithoutBias()
    {
        var x = Rand.N(5, DType.F32, 4, 29);
        // Shift the rows far from zero: a one-pass variance would lose precision here.
        var xs = Ops.AddScalar(x, 100);
        var w = Rand.N(6, DType.F32, 29);
        var b = Rand.N(7, DType.F32, 29);
        Close.All(LayerNormRef(xs.ToDoubleArray(), w.ToDoubleArray(), b.ToDoubleArray(), 29, 1e-5), Ops.LayerNorm(xs, w, b, 1e-5).ToDoubleArray(), 2e-4, 1e-4, "ln bias");
        Close.All(LayerNormRef(xs.ToDoubleArray(), w.ToDoubleArray(), null, 29, 1e-5), Ops.LayerNorm(xs, w, null, 1e-5).ToDoubleArray(), 2e-4, 1e-4, "ln");
        var x64 = Rand.N(8, DType.F64, 3, 2, 11);
        var w64 = Rand.N(9, DType.F64, 11);
        var b64 = Rand.N(10, DType.F64, 11);
        Close.All(LayerNormRef(x64.ToDoubleArray(), w64.ToDoubleArray(), b64.ToDoubleArray(), 11, 1e-5), Ops.LayerNorm(x64, w64, b64, 1e-5).ToDoubleArray(), 1e-12, 1e-12);
    }

    [Fact]
    public void RmsNormGradients()
    {
        GradCheck.Check(xs => Ops.RmsNorm(xs[0], xs[1], 1e-6), [Rand.Param(11, 3, 5, 13), Rand.Param(12, 13)]);
        // Enough rows (> 64) that the weight gradient is summed from several partials.
        GradCheck.Check(xs => Ops.RmsNorm(xs[0], xs[1], 1e-3), [Rand.Param(13, 131, 3), Rand.Param(14, 3)]);
    }

    [Fact]
    public void LayerNormGradients()
    {
        GradCheck.Check(xs => Ops.LayerNorm(xs[0], xs[1], xs[2], 1e-5), [Rand.Param(21, 3, 5, 9), Rand.Param(22, 9), Rand.Param(23, 9)]);
        GradCheck.Check(xs => Ops.LayerNorm(xs[0], xs[1], null, 1e-5), [Rand.Param(24, 70, 7), Rand.Param(25, 7)]);
    }

    [Fact]
    public void Bf16WeightWithF32ActivationsComputesInF32()
    {
        var x = Rand.N(31, DType.F32, 3, 16);
        var w = Rand.N(32, DType.F32, 16).To(DType.BF16);
        var wf = w.To(DType.F32).ToDoubleArray(); // the bf16-rounded weights
        Close.All(RmsNormRef(x.ToDoubleArray(), wf, 16, 1e-6), Ops.RmsNorm(x, w, 1e-6).ToDoubleArray(), 1e-5, 1e-5);
        Close.All(LayerNormRef(x.ToDoubleArray(), wf, null, 16, 1e-5), Ops.LayerNorm(x, w, null, 1e-5).ToDoubleArray(), 1e-5, 1e-5);
    }

    [Fact]
    public void WeightOfTheWrongSizeIsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.RmsNorm(Rand.N(1, DType.F32, 2, 8), Rand.N(2, DType.F32, 7), 1e-6));
        Assert.Contains("RmsNorm", ex.Message);
    }
}
