using Engine.Runtime.Cpu;

namespace Engine.Tests.CpuGemm;

/// <summary>Random operands, kernel families present on this CPU, and the tolerance check shared by the GEMM tests.</summary>
internal static class GemmTestData
{
    public static float[] RandF(int seed, long count)
    {
        var r = new Random(seed);
        var x = new float[count];
        for (long i = 0; i < count; i++) x[i] = (float)(r.NextDouble() * 2 - 1);
        return x;
    }

    public static double[] RandD(int seed, long count)
    {
        var r = new Random(seed);
        var x = new double[count];
        for (long i = 0; i < count; i++) x[i] = r.NextDouble() * 2 - 1;
        return x;
    }

    /// <summary>Auto plus every explicit family this CPU runs, so the AVX2 and portable kernels are tested here too.</summary>
    public static IEnumerable<GemmIsa> Isas<T>() where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        yield return GemmIsa.Auto;
        foreach (var isa in new[] { GemmIsa.Avx512, GemmIsa.Avx2, GemmIsa.Portable })
        {
            bool ok;
            try { ok = Gemm.Resolve<T>(isa) == isa; } catch (PlatformNotSupportedException) { ok = false; }
            if (ok) yield return isa;
        }
    }

    /// <summary>Error bound grows with k: each output is a k-term f32 dot product.</summary>
    public static void Near(float[] expected, float[] actual, int k, string what)
    {
        double atol = 1e-5 + 3e-6 * k;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs((double)expected[i] - actual[i]);
            if (!(d <= atol + 1e-5 * Math.Abs(expected[i])))
                Assert.Fail($"{what}: element {i} expected {expected[i]:G9}, got {actual[i]:G9}");
        }
    }

    public static void Near(double[] expected, double[] actual, int k, string what)
    {
        double atol = 1e-13 * (k + 1);
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(expected[i] - actual[i]);
            if (!(d <= atol + 1e-12 * Math.Abs(expected[i])))
                Assert.Fail($"{what}: element {i} expected {expected[i]:G17}, got {actual[i]:G17}");
        }
    }
}
