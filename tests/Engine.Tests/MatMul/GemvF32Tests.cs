using System.Reflection;
using System.Runtime.CompilerServices;
using Engine.Runtime.Cpu;

namespace Engine.Tests.CpuGemm;

/// <summary>
/// The batch-1 decode kernel (GemvF32: y = x·Wᵀ, f32), forced through Gemm.Run on AVX-512: a column count that leaves a
/// group of fewer than four, k with a tail after the 32-element steps, a padded W stride, beta = 0 over NaN and
/// beta ≠ 0, against GemmReference; large enough to fork, and the bytes must not depend on the thread count.
/// </summary>
public unsafe class GemvF32Tests
{
    [Theory]
    [InlineData(4097, 1000, 1f, 0f)]
    [InlineData(1030, 2051, -0.75f, 0.5f)]
    [InlineData(7, 45, 2f, 0f)]
    public void MatchesReferenceWithTheSameBytesOnAnyThreadCount(int n, int k, float alpha, float beta)
    {
        if (!GemvF32.Suits(true, 1)) return; // no AVX-512 here: Gemm.Run takes the skinny/small path, tested elsewhere
        int ldw = k + 5;
        var x = GemmTestData.RandF(3, k);
        var w = GemmTestData.RandF(4, (long)n * ldw);
        var y0 = GemmTestData.RandF(5, n);
        var expected = (float[])y0.Clone();
        fixed (float* px = x, pw = w, pe = expected) GemmReference.Gemm(false, true, 1, n, k, alpha, px, k, pw, ldw, beta, pe, n);
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var y = beta == 0f ? Enumerable.Repeat(float.NaN, n).ToArray() : (float[])y0.Clone();
            fixed (float* px = x, pw = w, py = y) Gemm.Run(false, true, 1, n, k, alpha, px, k, pw, ldw, beta, py, n, threads, GemmIsa.Avx512);
            GemmTestData.Near(expected, y, k, $"gemv f32 {n}x{k} alpha={alpha} beta={beta} threads={threads}");
            if (first is null) first = y;
            else Assert.True(first.AsSpan().SequenceEqual(y), $"{threads} threads gave other bytes than 1 thread");
        }
    }

    /// <summary>
    /// The decode GEMVs' loops must be compiled optimized from their first call: as tier-0 code they ran ~10× slower, and
    /// on 2 threads of a 2-core machine the tier-1 replacement came only after hundreds of calls (the 2-thread bf16 GEMV
    /// took 5 ms against 1.1 ms on 1 thread).
    /// </summary>
    [Theory]
    [InlineData(typeof(GemvF32), "Columns")]
    [InlineData(typeof(GemvF32), "Four")]
    [InlineData(typeof(GemvF32), "One")]
    [InlineData(typeof(Bf16Gemv), "Columns")]
    [InlineData(typeof(Bf16Gemv), "FourColumns")]
    public void DecodeLoopsSkipTier0(Type type, string method)
    {
        var m = type.GetMethod(method, BindingFlags.NonPublic | BindingFlags.Static);
        Assert.NotNull(m);
        Assert.True(m!.MethodImplementationFlags.HasFlag(MethodImplAttributes.AggressiveOptimization), $"{type.Name}.{method} lacks AggressiveOptimization");
    }
}
