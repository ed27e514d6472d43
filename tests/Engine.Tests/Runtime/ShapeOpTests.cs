using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Runtime;

public class ShapeOpTests
{
    [Fact]
    public void CatMatchesAPlainConcatenation()
    {
        var a = Rand.N(1, DType.F64, 2, 3, 5);
        var b = Rand.N(2, DType.F64, 2, 1, 5);
        var c = Rand.N(3, DType.F64, 2, 4, 5);
        var y = Ops.Cat([a, b, c], 1).ToDoubleArray();
        double[][] parts = [a.ToDoubleArray(), b.ToDoubleArray(), c.ToDoubleArray()];
        int[] sizes = [3, 1, 4];
        var expected = new List<double>();
        for (int i = 0; i < 2; i++)
            for (int p = 0; p < 3; p++)
                expected.AddRange(parts[p].Skip(i * sizes[p] * 5).Take(sizes[p] * 5));
        Assert.Equal(expected.ToArray(), y);
        Assert.Throws<ArgumentException>(() => Ops.Cat([a, Rand.N(4, DType.F64, 3, 3, 5)], 1));
    }

    [Fact]
    public void CatGradientsAreTheMatchingSlices()
    {
        var a = Rand.Param(5, 3, 2);
        var b = Rand.Param(6, 3, 5);
        GradCheck.Check(xs => Ops.Cat([xs[0], xs[1]], -1), [a, b]);
        GradCheck.Check(xs => Ops.Cat([xs[0].Transpose(0, 1), xs[1].Transpose(0, 1)], 0), [a, b]);
    }

    [Fact]
    public void ReluAndAbsGradientsAwayFromTheKink()
    {
        var x = Rand.Param(7, 4, 6);
        var s = x.AsSpan<double>();
        for (int i = 0; i < s.Length; i++) if (Math.Abs(s[i]) < 0.05) s[i] += 0.1; // finite differences need |x| > ε
        GradCheck.Check(xs => Ops.Relu(xs[0]), [x]);
        GradCheck.Check(xs => Ops.Abs(xs[0]), [x]);
        var v = x.ToDoubleArray();
        Assert.Equal(v.Select(t => Math.Max(t, 0)).ToArray(), Ops.Relu(x).ToDoubleArray());
    }
}
