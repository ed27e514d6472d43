namespace Engine.Tests.MixedPrecision;

/// <summary>Plain-loop references for the autocast tests: bf16 rounding (RNE) and matrix products in f64.</summary>
public static class Bf16Reference
{
    /// <summary>Round to the nearest bf16 (ties to even) by looking at the dropped 16 bits; finite inputs only.</summary>
    public static double Round(double v)
    {
        float f = (float)v;
        uint bits = BitConverter.SingleToUInt32Bits(f);
        uint upper = bits >> 16, dropped = bits & 0xFFFF;
        if (dropped > 0x8000 || (dropped == 0x8000 && (upper & 1) == 1)) upper++;
        return BitConverter.UInt32BitsToSingle(upper << 16);
    }

    public static double[] Round(double[] v) => v.Select(Round).ToArray();

    /// <summary>C[m×n] = A[m×k]·B[k×n] (row-major) in f64, and Σ|a||b| per element for a norm-wise tolerance.</summary>
    public static (double[] c, double[] mag) MatMul(double[] a, double[] b, int m, int k, int n)
    {
        var c = new double[m * n]; var mag = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0, g = 0;
                for (int p = 0; p < k; p++) { double t = a[i * k + p] * b[p * n + j]; s += t; g += Math.Abs(t); }
                c[i * n + j] = s; mag[i * n + j] = g;
            }
        return (c, mag);
    }

    /// <summary>[r×c] → [c×r].</summary>
    public static double[] T(double[] a, int r, int c)
    {
        var t = new double[a.Length];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) t[j * r + i] = a[i * c + j];
        return t;
    }

    /// <summary>Every |got − expected| ≤ rel·Σ|a||b| (the norm-wise bound f32 accumulation meets), reporting the worst.</summary>
    public static void Near(double[] expected, double[] mag, double[] got, double rel, string what)
    {
        Assert.Equal(expected.Length, got.Length);
        double worst = 0; int at = -1;
        for (int i = 0; i < got.Length; i++)
        {
            double e = Math.Abs(got[i] - expected[i]) / Math.Max(mag[i], 1e-30);
            if (!(e <= worst)) { worst = e; at = i; }
        }
        Assert.True(worst <= rel, $"{what}: element {at} expected {expected[Math.Max(at, 0)]:G9}, got {got[Math.Max(at, 0)]:G9} (error {worst:G3} of Σ|a·b|, allowed {rel:G3})");
    }

    /// <summary>The largest |got − expected| relative to Σ|a||b|.</summary>
    public static double MaxError(double[] expected, double[] mag, double[] got) =>
        got.Select((g, i) => Math.Abs(g - expected[i]) / Math.Max(mag[i], 1e-30)).Max();
}
