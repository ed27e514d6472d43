using Engine.Runtime.Cpu;

namespace Engine.Tests.CpuGemm;

/// <summary>
/// The packed f32 GEMM against GemmReference, for every transpose combination, every kernel family this CPU runs,
/// 1 and 2 threads, and shapes straddling each tile and block edge (MR 12/6/4, NR 32/16, KC 384, NC 320, MC 480).
/// </summary>
public unsafe class SgemmTests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 1, 70, 33 }, { 3, 129, 200 }, { 2, 700, 400 }, { 5, 7, 6 },
        { 11, 31, 17 }, { 12, 32, 8 }, { 13, 33, 9 }, { 7, 17, 15 }, { 4, 16, 5 },
        { 25, 65, 383 }, { 23, 63, 384 }, { 37, 47, 385 },
        { 300, 321, 40 }, { 481, 45, 19 }, { 30, 641, 21 }, { 41, 70, 770 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AllTransposesKernelsAndThreadsMatchReference(int m, int n, int k)
    {
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            var a = GemmTestData.RandF(1 + m, (long)m * k);
            var b = GemmTestData.RandF(2 + n, (long)k * n);
            var c0 = GemmTestData.RandF(3 + k, (long)m * n);
            int lda = ta ? m : k, ldb = tb ? k : n;
            foreach (var (alpha, beta) in new[] { (1f, 0f), (0.75f, -1.5f), (-2f, 1f) })
            {
                var expected = (float[])c0.Clone();
                fixed (float* pa = a, pb = b, pe = expected)
                    GemmReference.Gemm(ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pe, n);
                foreach (var isa in GemmTestData.Isas<float>())
                    foreach (int threads in new[] { 1, 2 })
                    {
                        // beta = 0 must ignore C entirely: start from NaN.
                        var c = beta == 0 ? Enumerable.Repeat(float.NaN, m * n).ToArray() : (float[])c0.Clone();
                        fixed (float* pa = a, pb = b, pc = c)
                            Gemm.Run(ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, n, threads, isa);
                        GemmTestData.Near(expected, c, k, $"sgemm {m}x{n}x{k} ta={ta} tb={tb} α={alpha} β={beta} {isa} threads={threads}");
                    }
            }
        }
    }

    [Fact]
    public void LeadingDimensionsLargerThanTheMatrix()
    {
        // Sub-matrices of bigger buffers: row strides exceed the logical widths.
        int m = 29, n = 45, k = 51, lda = 60, ldb = 50, ldc = 53;
        var a = GemmTestData.RandF(7, (long)m * lda);
        var b = GemmTestData.RandF(8, (long)k * ldb);
        var c = GemmTestData.RandF(9, (long)m * ldc);
        var expected = (float[])c.Clone();
        fixed (float* pa = a, pb = b, pc = c, pe = expected)
        {
            GemmReference.Gemm(false, false, m, n, k, 1.25f, pa, lda, pb, ldb, 0.5f, pe, ldc);
            Gemm.Run(false, false, m, n, k, 1.25f, pa, lda, pb, ldb, 0.5f, pc, ldc, 2);
        }
        GemmTestData.Near(expected, c, k, "strided sgemm");
    }

    [Fact]
    public void ZeroKOrZeroAlphaOnlyScalesC()
    {
        var c = GemmTestData.RandF(4, 6 * 5);
        var a = new float[6 * 3]; Array.Fill(a, float.NaN); // must not be read
        var b = new float[3 * 5]; Array.Fill(b, float.NaN);
        var expected = c.Select(x => x * 3f).ToArray();
        fixed (float* pa = a, pb = b, pc = c)
        {
            Gemm.Sgemm(false, false, 6, 5, 0, 1f, pa, 3, pb, 5, 3f, pc, 5);
            Assert.Equal(expected, c);
            Gemm.Sgemm(false, false, 6, 5, 3, 0f, pa, 3, pb, 5, 1f, pc, 5);
            Assert.Equal(expected, c);
        }
    }

    [Fact]
    public void RejectsLeadingDimensionTooSmall()
    {
        var x = new float[64];
        var ex = Assert.Throws<ArgumentException>(() => { fixed (float* p = x) Gemm.Sgemm(false, false, 4, 4, 4, 1f, p, 3, p, 4, 0f, p, 4); });
        Assert.Contains("lda=3", ex.Message);
    }

    [Fact]
    public void LargeSquareMatchesReferenceWithBothThreadCounts()
    {
        // Several KC, NC and MC blocks in one call, both thread splits.
        int m = 500, n = 340, k = 400;
        var a = GemmTestData.RandF(11, (long)m * k);
        var b = GemmTestData.RandF(12, (long)k * n);
        var expected = new float[m * n];
        fixed (float* pa = a, pb = b, pe = expected) GemmReference.Gemm(false, false, m, n, k, 1f, pa, k, pb, n, 0f, pe, n);
        foreach (int threads in new[] { 1, 2 })
        {
            var c = new float[m * n];
            fixed (float* pa = a, pb = b, pc = c) Gemm.Run(false, false, m, n, k, 1f, pa, k, pb, n, 0f, pc, n, threads);
            GemmTestData.Near(expected, c, k, $"sgemm 500x340x400 threads={threads}");
        }
    }
}
