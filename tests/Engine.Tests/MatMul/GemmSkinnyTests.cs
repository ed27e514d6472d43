using Engine.Runtime.Cpu;

namespace Engine.Tests.CpuGemm;

/// <summary>
/// The small-M (decode) path, C with 1–8 rows: every row count (4-, 2- and 1-row kernels and their mixes), column counts
/// straddling the 4-column dot groups and the 4-vector axpy blocks, k with and without a vector tail, padded leading
/// dimensions, each register width this CPU runs, against GemmReference in f32 and f64.
/// </summary>
public unsafe class GemmSkinnyTests
{
    public static TheoryData<int> Rows => new() { 1, 2, 3, 4, 5, 6, 7, 8 };

    private static readonly (int N, int K)[] Shapes = [(1, 1), (3, 17), (5, 16), (37, 33), (70, 300), (129, 65)];

    [Theory]
    [MemberData(nameof(Rows))]
    public void F32MatchesReference(int m)
    {
        foreach (var (n, k) in Shapes)
            foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
            {
                // Leading dimensions padded by 3 so a kernel that assumed packed rows would read the wrong elements.
                int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 3, ldc = n + 3;
                var a = GemmTestData.RandF(10 + m, (long)(ta ? k : m) * lda);
                var b = GemmTestData.RandF(20 + n, (long)(tb ? n : k) * ldb);
                var c0 = GemmTestData.RandF(30 + k, (long)m * ldc);
                foreach (var (alpha, beta) in new[] { (1f, 0f), (1.5f, 0.25f) })
                {
                    var expected = (float[])c0.Clone();
                    fixed (float* pa = a, pb = b, pe = expected) GemmReference.Gemm(ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pe, ldc);
                    foreach (var isa in GemmTestData.Isas<float>())
                        foreach (int threads in new[] { 1, 3 })
                        {
                            var c = beta == 0 ? Enumerable.Repeat(float.NaN, m * ldc).ToArray() : (float[])c0.Clone();
                            for (int i = 0; i < m; i++) for (int j = n; j < ldc; j++) c[i * ldc + j] = c0[i * ldc + j];
                            fixed (float* pa = a, pb = b, pc = c) Gemm.Run(ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, threads, isa);
                            GemmTestData.Near(expected, c, k, $"skinny f32 {m}x{n}x{k} ta={ta} tb={tb} beta={beta} {isa} threads={threads}");
                        }
                }
            }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public void F64MatchesReference(int m)
    {
        foreach (var (n, k) in Shapes)
            foreach (var (ta, tb) in new[] { (false, false), (true, true), (false, true) })
            {
                int lda = ta ? m : k, ldb = tb ? k : n;
                var a = GemmTestData.RandD(1 + m, (long)m * k);
                var b = GemmTestData.RandD(2 + n, (long)k * n);
                var c0 = GemmTestData.RandD(3 + k, (long)m * n);
                var expected = (double[])c0.Clone();
                fixed (double* pa = a, pb = b, pe = expected) GemmReference.Gemm(ta, tb, m, n, k, -0.5, pa, lda, pb, ldb, 2.0, pe, n);
                foreach (var isa in GemmTestData.Isas<double>())
                    foreach (int threads in new[] { 1, 2 })
                    {
                        var c = (double[])c0.Clone();
                        fixed (double* pa = a, pb = b, pc = c) Gemm.Run(ta, tb, m, n, k, -0.5, pa, lda, pb, ldb, 2.0, pc, n, threads, isa);
                        GemmTestData.Near(expected, c, k, $"skinny f64 {m}x{n}x{k} ta={ta} tb={tb} {isa} threads={threads}");
                    }
            }
    }

    /// <summary>
    /// Large enough to fork (the decode shapes' regime): the bytes must not depend on the thread count, since every
    /// output is computed by the same sequence of operations whichever thread owns its columns.
    /// </summary>
    [Theory]
    [InlineData(1, 1000, 700, true)]
    [InlineData(5, 1000, 700, true)]
    [InlineData(8, 1001, 513, false)]
    public void SameBytesWhateverTheThreadCount(int m, int n, int k, bool transB)
    {
        var a = GemmTestData.RandF(7, (long)m * k);
        var b = GemmTestData.RandF(8, (long)k * n);
        int ldb = transB ? k : n;
        var expected = new float[m * n];
        fixed (float* pa = a, pb = b, pe = expected) GemmReference.Gemm(false, transB, m, n, k, 1f, pa, k, pb, ldb, 0f, pe, n);
        foreach (var isa in GemmTestData.Isas<float>())
        {
            float[]? first = null;
            foreach (int threads in new[] { 1, 2, 3, 4 })
            {
                var c = new float[m * n];
                fixed (float* pa = a, pb = b, pc = c) Gemm.Run(false, transB, m, n, k, 1f, pa, k, pb, ldb, 0f, pc, n, threads, isa);
                GemmTestData.Near(expected, c, k, $"skinny {m}x{n}x{k} {isa} threads={threads}");
                if (first is null) first = c;
                else Assert.True(first.AsSpan().SequenceEqual(c), $"{isa}: {threads} threads gave other bytes than 1 thread");
            }
        }
    }
}
