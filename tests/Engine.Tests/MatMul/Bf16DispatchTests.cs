using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Tests.CpuGemm;

/// <summary>
/// The bf16-weight entry's choice of route (Gemm.Bf16RouteOf, which Gemm.Bf16Weights follows): under MinDotWork
/// multiply-adds it keeps the widening path (measured faster there), from it on the VDPBF16PS path where the CPU has it
/// and the activations are bf16-exact; 1–4 rows of x·Wᵀ stream W through the GEMV. The dot and widening paths give the
/// same bytes, so the route is read from the pure decision function, not from the output (there is no per-call counter).
/// dot = false is what a CPU without AVX512_BF16 gets (Bf16Compute.Active).
/// </summary>
public unsafe class Bf16DispatchTests
{
    [Theory]
    [InlineData(24, 24, 24, false)]  // 13 824 < 2^14
    [InlineData(16, 16, 32, false)]
    [InlineData(16, 16, 64, true)]   // 16 384 = 2^14
    [InlineData(40, 33, 100, true)]
    public void SmallProductsKeepTheWideningPath(int m, int n, int k, bool dotExpected)
    {
        Assert.Equal(dotExpected, Gemm.DotSuits(m, n, k));
        var a = Bf16Exact(GemmTestData.RandF(81, (long)m * k));
        var b = GemmTestData.RandF(82, (long)n * k).Select(DTypeConvert.FloatToBf16).ToArray();
        var wide = new float[m * n];
        fixed (float* pa = a, pc = wide) fixed (ushort* pb = b) Gemm.SgemmBf16B(false, true, m, n, k, 1f, pa, k, pb, k, 0f, pc, n);
        foreach (bool dot in new[] { false, true })
        {
            Gemm.Bf16Route route;
            fixed (float* pa = a) route = Gemm.Bf16RouteOf(dot, false, true, m, n, k, pa, k);
            Assert.Equal(dot && dotExpected ? Gemm.Bf16Route.Dot : Gemm.Bf16Route.Widen, route);
            if (dot && !Bf16Kernel.NativeSupported) continue; // the entry never asks for the dot path here
            var c = new float[m * n];
            fixed (float* pa = a, pc = c) fixed (ushort* pb = b) Gemm.Bf16Weights(dot, false, true, m, n, k, 1f, pa, k, pb, k, 0f, pc, n);
            Assert.True(c.AsSpan().SequenceEqual(wide), $"{m}x{n}x{k} dot={dot}: bytes differ from the widening path");
        }
    }

    [Theory]
    [InlineData(1, 96, 200, "Gemv")]   // decode: x·Wᵀ with one row
    [InlineData(4, 96, 200, "Gemv")]
    [InlineData(40, 96, 200, "Dot")]
    public void TheEntryPicksEachRouteByShape(int m, int n, int k, string route)
    {
        var expected = Enum.Parse<Gemm.Bf16Route>(route);
        if (expected == Gemm.Bf16Route.Gemv && !Bf16Gemv.Suits(false, true, m)) return; // no AVX-512: no GEMV to pick
        var a = Bf16Exact(GemmTestData.RandF(83, (long)m * k));
        var f = GemmTestData.RandF(84, (long)m * k); // plain f32 activations
        fixed (float* pa = a, pf = f)
        {
            Assert.Equal(expected, Gemm.Bf16RouteOf(true, false, true, m, n, k, pa, k));
            if (expected == Gemm.Bf16Route.Dot)
            {
                Assert.Equal(Gemm.Bf16Route.Widen, Gemm.Bf16RouteOf(true, false, true, m, n, k, pf, k)); // f32 activations are never rounded
                Assert.Equal(Gemm.Bf16Route.Widen, Gemm.Bf16RouteOf(false, false, true, m, n, k, pa, k)); // kernel off
            }
        }
    }

    [Theory]
    [InlineData(1, 96, 200)]
    [InlineData(3, 70, 129)]
    [InlineData(40, 96, 200)]
    [InlineData(37, 65, 385)]
    public void EveryRouteForcedAgreesWithTheReference(int m, int n, int k)
    {
        // Each route run directly on the same bf16-exact x and bf16 W, against the float64-accumulated reference of the
        // widened operands. Where the entry would take the dot path, Dot and Widen must also give the same bytes; the
        // GEMV, and the widening path's small-shape kernels, sum in other orders (tolerance only).
        var a = Bf16Exact(GemmTestData.RandF(85, (long)m * k));
        var b = GemmTestData.RandF(86, (long)n * k).Select(DTypeConvert.FloatToBf16).ToArray();
        var bw = b.Select(DTypeConvert.Bf16ToFloat).ToArray();
        var reference = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double)a[i * k + p] * bw[j * k + p];
                reference[i * n + j] = s;
            }
        float[] Forced(Gemm.Bf16Route route)
        {
            var c = new float[m * n];
            fixed (float* pa = a, pc = c) fixed (ushort* pb = b) Gemm.Bf16Weights(route, false, true, m, n, k, 1f, pa, k, pb, k, 0f, pc, n);
            return c;
        }
        var routes = new List<Gemm.Bf16Route> { Gemm.Bf16Route.Widen };
        if (Bf16Kernel.NativeSupported) routes.Add(Gemm.Bf16Route.Dot);
        if (Bf16Gemv.Suits(false, true, m)) routes.Add(Gemm.Bf16Route.Gemv);
        var wide = Forced(Gemm.Bf16Route.Widen);
        foreach (var route in routes)
        {
            var c = Forced(route);
            for (int i = 0; i < c.Length; i++)
                Assert.True(Math.Abs(c[i] - reference[i]) <= 1e-5 * k, $"{route} {m}x{n}x{k} [{i}]: {c[i]} vs {reference[i]}");
            if (route == Gemm.Bf16Route.Dot && Gemm.DotSuits(m, n, k)) Assert.True(c.AsSpan().SequenceEqual(wide), $"{m}x{n}x{k}: the dot path's bytes differ from the widening path");
        }
    }

    private static float[] Bf16Exact(float[] x) => x.Select(v => DTypeConvert.Bf16ToFloat(DTypeConvert.FloatToBf16(v))).ToArray();
}
