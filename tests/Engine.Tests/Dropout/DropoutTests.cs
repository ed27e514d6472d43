using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Dropout;

public class DropoutTests
{
    /// <summary>The mask straight from the spec: keep i iff ToUniform(Word(seed, offset, i)) ≥ p.</summary>
    private static bool[] ExpectedMask(ulong seed, ulong offset, long n, double p)
    {
        var keep = new bool[n];
        for (long i = 0; i < n; i++) keep[i] = Philox.ToUniform(Philox.Word(seed, offset, (ulong)i)) >= p;
        return keep;
    }

    [Fact]
    public void MaskEqualsPhiloxRecomputationAndKeptValuesAreScaled()
    {
        var gen = new Generator(77);
        gen.Take(10); // start from a non-zero offset
        ulong offset = gen.Offset;
        var x = Rand.N(1, DType.F64, 7, 37);
        double p = 0.3;
        var y = Ops.Dropout(x, p, gen).ToDoubleArray();
        Assert.Equal(offset + (7 * 37 + 3) / 4, gen.Offset);
        var keep = ExpectedMask(77, offset, 7 * 37, p);
        var xv = x.ToDoubleArray();
        Close.All(xv.Select((v, i) => keep[i] ? v / (1 - p) : 0.0).ToArray(), y, 0, 1e-15, "dropout");
        Assert.Contains(keep, k => !k);
        Assert.Contains(keep, k => k);
    }

    [Fact]
    public void LargeF32MaskMatchesAndKeptFractionIsOneMinusP()
    {
        // Above the parallel threshold and not a multiple of 4: chunk boundaries must not disturb the stream.
        const int n = 200_003;
        double p = 0.25;
        var gen = new Generator(123456789);
        var x = Rand.N(3, DType.F32, n);
        var xv = x.ToFloatArray();
        ulong offset = gen.Offset;
        var y = Ops.Dropout(x, p, gen).ToFloatArray();
        var keep = ExpectedMask(123456789, offset, n, p);
        int kept = 0;
        float scale = (float)(1.0 / (1 - p));
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(keep[i] ? xv[i] * scale : 0f, y[i]); // bitwise: one f32 multiply by the same scale
            if (keep[i]) kept++;
        }
        // Binomial std of the fraction is √(p(1−p)/n) ≈ 0.001; allow 5σ.
        Assert.InRange(kept / (double)n, 0.75 - 0.005, 0.75 + 0.005);
    }

    [Fact]
    public void GradientUsesTheSameMask()
    {
        var gen = new Generator(5);
        var x = Rand.Param(2, 3, 5, 11);
        double p = 0.4;
        ulong offset = gen.Offset;
        var y = Ops.Dropout(x, p, gen);
        var gy = Rand.N(3, DType.F64, 3, 5, 11);
        y.Backward(gy);
        var keep = ExpectedMask(5, offset, 3 * 5 * 11, p);
        var g = x.Grad!.ToDoubleArray(); var gyv = gy.ToDoubleArray();
        Close.All(gyv.Select((v, i) => keep[i] ? v / (1 - p) : 0.0).ToArray(), g, 0, 1e-15, "dropout grad");
        // And the finite-difference check, with a fresh generator per call so every call draws the same mask.
        var x2 = Rand.Param(4, 3, 5, 11);
        GradCheck.Check(xs => Ops.Dropout(xs[0], p, new Generator(9)), [x2]);
    }

    [Fact]
    public void IdentityWhenNotTrainingOrPZero()
    {
        var gen = new Generator(1);
        var x = Rand.N(1, DType.F32, 4, 9);
        Assert.Same(x, Ops.Dropout(x, 0.5, gen, training: false));
        Assert.Same(x, Ops.Dropout(x, 0.0, gen));
        Assert.Equal(0ul, gen.Offset);
        var all = Ops.Dropout(x, 1.0, gen).ToFloatArray();
        Assert.All(all, v => Assert.Equal(0f, v));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Dropout(x, 1.5, gen));
    }
}
