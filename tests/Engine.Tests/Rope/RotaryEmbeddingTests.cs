using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Rope;

/// <summary>Inverse frequencies against the published definitions, written out independently here.</summary>
public class RotaryEmbeddingTests
{
    private static double[] Plain(int dim, double theta) =>
        Enumerable.Range(0, dim / 2).Select(i => Math.Pow(theta, -(2.0 * i) / dim)).ToArray();

    [Fact]
    public void DefaultAndLinear()
    {
        var e = new RotaryEmbedding(64, 500000);
        Close.All(Plain(64, 500000), e.InverseFrequencies, 0, 1e-13);
        Assert.Equal(1.0, e.AttentionScaling);
        var lin = new RotaryEmbedding(64, 10000, new RopeScaling("linear", 4));
        Close.All(Plain(64, 10000).Select(f => f * 0.25).ToArray(), lin.InverseFrequencies, 0, 1e-13);
        // Partial rotary: frequencies over the rotary dim only.
        var part = new RotaryEmbedding(80, 10000, partialRotaryDim: 32);
        Close.All(Plain(32, 10000), part.InverseFrequencies, 0, 1e-13);
        Assert.Equal(new[] { 3, 32 }, part.Tables([0, 1, 2]).cos.ShapeArray());
    }

    [Fact]
    public void Llama3WavelengthSmoothing()
    {
        // Llama 3.1: factor 8, low 1, high 4, original context 8192, theta 500000, head_dim 128.
        var e = new RotaryEmbedding(128, 500000, new RopeScaling("llama3", 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 8192));
        var f = Plain(128, 500000);
        int kept = 0, scaled = 0, blended = 0;
        for (int i = 0; i < f.Length; i++)
        {
            double lambda = 2 * Math.PI / f[i];
            double expected;
            if (lambda < 8192.0 / 4) { expected = f[i]; kept++; }                 // high frequency: unchanged
            else if (lambda > 8192.0 / 1) { expected = f[i] / 8; scaled++; }       // low frequency: interpolated
            else
            {
                double s = (8192 / lambda - 1) / (4 - 1);                          // smooth in 1/λ
                expected = (1 - s) * f[i] / 8 + s * f[i]; blended++;
            }
            Assert.Equal(expected, e.InverseFrequencies[i], 1e-15 + 1e-13 * expected);
        }
        // The case split really covers all three bands for these parameters.
        Assert.True(kept > 0 && scaled > 0 && blended > 0, $"{kept}/{scaled}/{blended}");
    }

    [Fact]
    public void YarnRampAndMscale()
    {
        // Qwen2.5-style yarn: factor 4, original 32768, theta 1e6, head_dim 128, default betas 32/1.
        int dim = 128; double theta = 1e6, factor = 4, ctx = 32768;
        var e = new RotaryEmbedding(dim, theta, new RopeScaling("yarn", factor, OriginalMaxPositionEmbeddings: 32768));
        // Dim index d at which a frequency completes r rotations over the original context: θ^(−d/dim)·ctx = 2π·r.
        double DimFor(double r) => dim * Math.Log(ctx / (2 * Math.PI * r)) / (2 * Math.Log(theta));
        double low = Math.Max(0, Math.Floor(DimFor(32))), high = Math.Min(dim - 1, Math.Ceiling(DimFor(1)));
        var f = Plain(dim, theta);
        int interpolated = 0, extrapolated = 0;
        for (int i = 0; i < f.Length; i++)
        {
            double gamma = i <= low ? 0 : i >= high ? 1 : (i - low) / (high - low); // 0 → keep, 1 → divide by factor
            double expected = (1 - gamma) * f[i] + gamma * f[i] / factor;
            if (gamma == 1) interpolated++;
            if (gamma == 0) extrapolated++;
            Assert.Equal(expected, e.InverseFrequencies[i], 1e-15 + 1e-13 * expected);
        }
        Assert.True(interpolated > 0 && extrapolated > 0);
        Assert.Equal(0.1 * Math.Log(4) + 1, e.AttentionScaling, 14);
        var explicitFactor = new RotaryEmbedding(dim, theta, new RopeScaling("yarn", factor, OriginalMaxPositionEmbeddings: 32768, AttentionFactor: 1.25));
        Assert.Equal(1.25, explicitFactor.AttentionScaling);
    }

    [Fact]
    public void TablesAreScaledCosSinOfPositionTimesFrequency()
    {
        var e = new RotaryEmbedding(16, 10000, new RopeScaling("yarn", 2, OriginalMaxPositionEmbeddings: 64));
        var f = e.InverseFrequencies;
        int[] pos = [0, 5, 17];
        var (cos, sin) = e.Tables(pos, DType.F64);
        var c = cos.ToDoubleArray(); var s = sin.ToDoubleArray();
        for (int t = 0; t < 3; t++)
            for (int j = 0; j < 16; j++)
            {
                double angle = pos[t] * f[j % 8];
                Assert.Equal(Math.Cos(angle) * e.AttentionScaling, c[t * 16 + j], 12);
                Assert.Equal(Math.Sin(angle) * e.AttentionScaling, s[t * 16 + j], 12);
            }
        // Batched position ids give [B, T, R], each row as the span overload.
        var ids = Tensor.FromArray(new long[] { 0, 5, 17, 3, 4, 5 }, 2, 3);
        var (cb, sb) = e.Tables(ids, DType.F64);
        Assert.Equal(new[] { 2, 3, 16 }, cb.ShapeArray());
        Close.All(c, cb.ToDoubleArray()[..48], 1e-15, 0);
        Close.All(e.Tables([3, 4, 5], DType.F64).sin.ToDoubleArray(), sb.ToDoubleArray()[48..], 1e-15, 0);
    }

    [Fact]
    public void UnknownTypeIsRejected()
    {
        var ex = Assert.Throws<NotSupportedException>(() => new RotaryEmbedding(8, 10000, new RopeScaling("longrope", 2)));
        Assert.Contains("longrope", ex.Message);
    }
}
