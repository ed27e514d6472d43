using Engine.Runtime;
using Engine.Runtime.Optim;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Optim;

public class GradClipTests
{
    private static Tensor[] ParamsWithGrads()
    {
        var a = Rand.N(1, DType.F32, 3, 5); a.Grad = Tensor.RandN([3, 5], 11, 2.0, DType.F32);
        var b = Rand.N(2, DType.F32, 70_001); b.Grad = Tensor.RandN([70_001], 12, 0.5, DType.F32);
        var c = Rand.N(3, DType.F32, 7); // no gradient
        return [a, b, c];
    }

    private static double PlainNorm(IEnumerable<Tensor> ps)
    {
        double s = 0;
        foreach (var p in ps) if (p.Grad is not null) foreach (var g in p.Grad.ToFloatArray()) s += (double)g * g;
        return Math.Sqrt(s);
    }

    [Fact]
    public void GlobalNormMatchesPlainSum()
    {
        var ps = ParamsWithGrads();
        Assert.Equal(PlainNorm(ps), GradClip.GlobalNorm(ps), 1e-9);
        var d = Rand.Param(4, 37); d.Grad = Rand.N(5, DType.F64, 37);
        Assert.Equal(Math.Sqrt(d.Grad.ToDoubleArray().Sum(x => x * x)), GradClip.GlobalNorm([d]), 1e-13);
    }

    [Fact]
    public void ClippingScalesEveryGradientByTheSameFactor()
    {
        var ps = ParamsWithGrads();
        var before = ps.Where(p => p.Grad is not null).Select(p => p.Grad!.ToFloatArray()).ToArray();
        double norm = PlainNorm(ps);
        double maxNorm = norm / 3;
        double returned = GradClip.ClipGradNorm(ps, maxNorm);
        Assert.Equal(norm, returned, 1e-9);
        float factor = (float)(maxNorm / (returned + 1e-6));
        var after = ps.Where(p => p.Grad is not null).Select(p => p.Grad!.ToFloatArray()).ToArray();
        for (int k = 0; k < before.Length; k++)
            Assert.Equal(before[k].Select(g => g * factor).ToArray(), after[k]);
        Assert.Null(ps[2].Grad);
        Assert.Equal(maxNorm, PlainNorm(ps), maxNorm * 1e-5);
    }

    [Fact]
    public void NoChangeBelowTheThreshold()
    {
        var ps = ParamsWithGrads();
        var before = ps[0].Grad!.ToFloatArray();
        double norm = GradClip.ClipGradNorm(ps, PlainNorm(ps) * 2);
        Assert.Equal(PlainNorm(ps), norm, 1e-9);
        Assert.Equal(before, ps[0].Grad!.ToFloatArray());
    }
}
