using Engine.Runtime;
using Engine.Runtime.Cpu;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Activation;

public class ActivationTests
{
    // erf(x) = 2/√π ∫₀ˣ e^(−t²) dt by composite Simpson: an independent route to the same function (~1e-12 here).
    private static double ErfBySimpson(double x)
    {
        int n = 4000;
        double h = x / n, s = 1 + Math.Exp(-x * x);
        for (int i = 1; i < n; i++) s += (i % 2 == 1 ? 4 : 2) * Math.Exp(-(i * h) * (i * h));
        return 2 / Math.Sqrt(Math.PI) * s * h / 3;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Theory]
    // Values printed by CPython's math.erf / math.erfc.
    [InlineData(1e-8, 1.1283791670955126e-08, 0.9999999887162083)]
    [InlineData(0.1, 0.1124629160182849, 0.8875370839817152)]
    [InlineData(0.5, 0.5204998778130465, 0.4795001221869535)]
    [InlineData(1.0, 0.8427007929497149, 0.15729920705028513)]
    [InlineData(1.9, 0.9927904292352575, 0.0072095707647425325)]
    [InlineData(2.0, 0.9953222650189527, 0.004677734981047265)]
    [InlineData(2.999, 0.9999777698314002, 2.2230168599834058e-05)]
    [InlineData(3.0, 0.9999779095030014, 2.2090496998585438e-05)]
    [InlineData(3.5, 0.9999992569016276, 7.430983723414128e-07)]
    [InlineData(4.0, 0.9999999845827421, 1.541725790028002e-08)]
    [InlineData(5.0, 0.9999999999984626, 1.5374597944280351e-12)]
    [InlineData(6.0, 1.0, 2.1519736712498916e-17)]
    [InlineData(-0.3, -0.3286267594591274, 1.3286267594591274)]
    [InlineData(-2.0, -0.9953222650189527, 1.9953222650189528)]
    public void ErfMatchesKnownValues(double x, double erf, double erfc)
    {
        Assert.Equal(erf, Erf.Of(x), 1e-15 * Math.Max(1, Math.Abs(erf)));
        // erfc keeps ~1e-14 relative accuracy in the tail (continued fraction), ~4e-16 absolute near 0 (1 − series).
        Assert.True(Math.Abs(Erf.Complement(x) - erfc) <= 1e-14 * erfc + 4e-16, $"erfc({x}) = {Erf.Complement(x):R}, expected {erfc:R}");
    }

    [Fact]
    public void SiluAndGeluMatchPlainFormulas()
    {
        var x = Rand.N(1, DType.F64, 7, 37);
        var v = x.ToDoubleArray();
        Close.All(v.Select(t => t * Sigmoid(t)).ToArray(), Ops.Silu(x).ToDoubleArray(), 1e-15, 1e-13, "silu");
        Close.All(v.Select(t => 0.5 * t * (1 + ErfBySimpson(t / Math.Sqrt(2)))).ToArray(), Ops.Gelu(x).ToDoubleArray(), 1e-11, 1e-10, "gelu");
        double k = Math.Sqrt(2 / Math.PI);
        Close.All(v.Select(t => 0.5 * t * (1 + Math.Tanh(k * (t + 0.044715 * t * t * t)))).ToArray(),
            Ops.Gelu(x, approximateTanh: true).ToDoubleArray(), 1e-15, 1e-13, "gelu tanh");
    }

    [Fact]
    public void F32ResultsAgreeWithF64ReferenceOnAParallelSizedInput()
    {
        // 70k elements: above the parallel threshold, with a tail that is not a multiple of any vector width.
        var x = Tensor.RandN([70_001], 2, 3.0, DType.F32);
        var v = x.ToDoubleArray();
        Close.All(v.Select(t => t * Sigmoid(t)).ToArray(), Ops.Silu(x).ToDoubleArray(), 1e-6, 1e-5, "silu f32");
        var tail = v.Select(t => 0.5 * t * Erf.Complement(-t / Math.Sqrt(2))).ToArray();
        Close.All(tail, Ops.Gelu(x).ToDoubleArray(), 1e-6, 1e-6, "gelu f32");
        double k = Math.Sqrt(2 / Math.PI);
        Close.All(v.Select(t => 0.5 * t * (1 + Math.Tanh(k * (t + 0.044715 * t * t * t)))).ToArray(),
            Ops.Gelu(x, true).ToDoubleArray(), 1e-6, 1e-5, "gelu tanh f32");
    }

    [Fact]
    public void GeluKeepsRelativeAccuracyInTheNegativeTail()
    {
        // GELU(−8) = −8·Φ(−8) = −4·erfc(8/√2); a 1 + erf(x) formulation would return 0 or noise here.
        var y = Ops.Gelu(Tensor.FromArray(new[] { -8.0 })).Item();
        double expected = -8 * 6.220960574271819e-16; // Φ(−8) = CPython 0.5*math.erfc(8/math.sqrt(2))
        Assert.True(Math.Abs(y - expected) < 1e-12 * Math.Abs(expected), $"GELU(-8) = {y:R}");
    }

    [Fact]
    public void SwiGluMatchesPlainFormula()
    {
        var g = Rand.N(3, DType.F64, 3, 5, 13);
        var u = Rand.N(4, DType.F64, 3, 5, 13);
        var gv = g.ToDoubleArray(); var uv = u.ToDoubleArray();
        var expected = gv.Select((t, i) => t * Sigmoid(t) * uv[i]).ToArray();
        Close.All(expected, Ops.SwiGlu(g, u).ToDoubleArray(), 1e-15, 1e-13);
        var g32 = g.To(DType.F32); var u32 = u.To(DType.F32);
        Close.All(expected, Ops.SwiGlu(g32, u32).ToDoubleArray(), 1e-6, 1e-5);
    }

    [Fact]
    public void ActivationGradients()
    {
        var x = Rand.Param(11, 3, 5, 7);
        GradCheck.Check(xs => Ops.Silu(xs[0]), [x]);
        GradCheck.Check(xs => Ops.Gelu(xs[0]), [x]);
        GradCheck.Check(xs => Ops.Gelu(xs[0], approximateTanh: true), [x]);
        // Wide inputs reach the erfc continued-fraction branch (|x|/√2 ≥ 3).
        var wide = Tensor.RandN([37], 12, 4.0, DType.F64);
        wide.RequiresGrad = true;
        GradCheck.Check(xs => Ops.Gelu(xs[0]), [wide]);
    }

    [Fact]
    public void SwiGluGradientsForBothInputs()
    {
        var g = Rand.Param(21, 3, 5, 11);
        var u = Rand.Param(22, 3, 5, 11);
        GradCheck.Check(xs => Ops.SwiGlu(xs[0], xs[1]), [g, u]);
        // Matches the unfused composition silu(g)·u.
        var gy = Rand.N(23, DType.F64, 3, 5, 11);
        g.ZeroGrad(); u.ZeroGrad();
        Ops.SwiGlu(g, u).Backward(gy);
        var (fg, fu) = (g.Grad!.ToDoubleArray(), u.Grad!.ToDoubleArray());
        g.ZeroGrad(); u.ZeroGrad();
        Ops.Mul(Ops.Silu(g), u).Backward(gy);
        Close.All(g.Grad!.ToDoubleArray(), fg, 1e-14, 1e-12, "dGate");
        Close.All(u.Grad!.ToDoubleArray(), fu, 1e-14, 1e-12, "dUp");
    }

    [Fact]
    public void SwiGluRejectsMismatchedShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.SwiGlu(Rand.N(1, DType.F32, 2, 3), Rand.N(2, DType.F32, 3, 2)));
        Assert.Contains("SwiGlu", ex.Message);
    }
}
