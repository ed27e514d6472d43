using Engine.Runtime;
using Engine.Tests.Infrastructure;
using Ref = Engine.Diagnostics.Cases.HardConcrete.HardConcreteReference;

namespace Engine.Tests.HardConcrete;

public class HardConcreteSampleTests
{
    [Theory]
    [InlineData(DType.F32, 1e-6, 1e-5)]
    [InlineData(DType.F64, 1e-13, 1e-12)]
    public void SampleMatchesQuantileConcreteWithPhiloxNoise(DType dt, double atol, double rtol)
    {
        const ulong seed = 0xC0FFEE, offset = 5;
        var la = Tensor.RandN([3, 1001], 41, 3.0, dt); // odd size: the last Philox block is partial
        var z = Ops.HardConcreteSample(la, seed, offset).ToDoubleArray();
        var x = la.ToDoubleArray();
        var want = x.Select((v, i) => Ref.Sample(v, Ref.Noise(seed, offset, i))).ToArray();
        Close.All(want, z, atol, rtol, "z");
    }

    [Fact]
    public void SamplesLieInTheUnitIntervalWithExactZerosAndOnes()
    {
        var la = Tensor.RandUniform([4096], 51, -4.6, 4.6);
        var z = Ops.HardConcreteSample(la, new Generator(3)).ToArray<float>();
        Assert.All(z, v => Assert.InRange(v, 0f, 1f));
        Assert.Contains(z, v => v == 0f);
        Assert.Contains(z, v => v == 1f);
        Assert.Contains(z, v => v > 0f && v < 1f);
    }

    [Fact]
    public void GeneratorAdvancesTheStreamAndIsReproducible()
    {
        var la = Tensor.RandN([257], 61);
        var g1 = new Generator(9);
        var a = Ops.HardConcreteSample(la, g1).ToArray<float>();
        var b = Ops.HardConcreteSample(la, g1).ToArray<float>();
        Assert.Equal((257 + 3) / 4 * 2, (int)g1.Offset);
        Assert.NotEqual(a, b);
        Assert.Equal(a, Ops.HardConcreteSample(la, new Generator(9)).ToArray<float>());
    }

    /// <summary>
    /// Over many independent draws the fraction of non-zero gates is the score, and the fraction of exact ones is
    /// 1 − Q(1) = σ(log α − β·ln 11) (a check the engine does not compute anywhere). 6σ binomial tolerance.
    /// </summary>
    [Fact]
    public void MonteCarloFrequenciesMatchTheDistribution()
    {
        const int draws = 100_000;
        double[] alphas = [-4.605, -1.3, 0.0, 0.7, 4.605];
        var data = new float[alphas.Length * draws];
        for (int r = 0; r < alphas.Length; r++) Array.Fill(data, (float)alphas[r], r * draws, draws);
        var z = Ops.HardConcreteSample(Tensor.FromArray(data, alphas.Length, draws), 2024, 0).ToArray<float>();
        for (int r = 0; r < alphas.Length; r++)
        {
            var row = z.AsSpan(r * draws, draws);
            int nonzero = 0, ones = 0;
            foreach (var v in row) { if (v != 0) nonzero++; if (v == 1) ones++; }
            double a = (float)alphas[r];
            double pNonzero = Ref.Score(a), pOne = Ref.Sigmoid(a - Ref.Beta * Math.Log(11));
            Assert.InRange(nonzero / (double)draws, pNonzero - Tol(pNonzero), pNonzero + Tol(pNonzero));
            Assert.InRange(ones / (double)draws, pOne - Tol(pOne), pOne + Tol(pOne));
        }

        static double Tol(double p) => 6 * Math.Sqrt(p * (1 - p) / draws) + 1e-4;
    }

    /// <summary>Fixed (seed, offset) = fixed noise; elements are kept ≥ 1e-3 away from the hardtanh kinks.</summary>
    [Fact]
    public void SampleGradCheckWithFixedNoise()
    {
        const ulong seed = 77, offset = 3;
        var x = Tensor.RandN([6, 7], 71, 2.5, DType.F64).ToDoubleArray();
        for (int i = 0; i < x.Length; i++)
            while (NearKink(x[i], i)) x[i] += 0.05;
        var la = Tensor.FromArray(x, 6, 7);
        la.RequiresGrad = true;
        GradCheck.Check(xs => Ops.HardConcreteSample(xs[0], seed, offset), [la]);
        // Both regimes are exercised: some gates clamped (zero gradient), some inside.
        var g = la.Grad!.ToDoubleArray();
        Assert.Contains(g, v => v == 0);
        Assert.Contains(g, v => v != 0);

        static bool NearKink(double a, int i)
        {
            double zr = Ref.Stretched(a, Ref.Noise(seed, offset, i)).stretched;
            return Math.Abs(zr) < 1e-3 || Math.Abs(zr - 1) < 1e-3;
        }
    }

    [Fact]
    public void SampleBackwardF32MatchesTheAnalyticGradient()
    {
        const ulong seed = 5, offset = 0;
        var la = Tensor.RandN([999], 81, 2.0);
        var gz = Tensor.RandN([999], 82);
        var g = Backend.Cpu.HardConcreteSampleBackward(la, seed, offset, gz).ToDoubleArray();
        var x = la.ToDoubleArray(); var gy = gz.ToDoubleArray();
        var want = new double[999];
        for (int i = 0; i < 999; i++)
        {
            var (zr, s) = Ref.Stretched(x[i], Ref.Noise(seed, offset, i));
            want[i] = zr > 0 && zr < 1 ? gy[i] * s * (1 - s) / Ref.Beta * (Ref.R - Ref.L) : 0;
        }
        Close.All(want, g, 1e-6, 1e-5, "dz/dlog α");
    }
}
