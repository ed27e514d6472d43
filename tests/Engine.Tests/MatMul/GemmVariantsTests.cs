using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Tests.CpuGemm;

/// <summary>Dgemm, the bf16-B path and strided batches against GemmReference.</summary>
public unsafe class GemmVariantsTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(13, 17, 9)]
    [InlineData(6, 33, 257)]
    [InlineData(25, 19, 300)]
    [InlineData(130, 70, 40)]
    public void DgemmMatchesReference(int m, int n, int k)
    {
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            var a = GemmTestData.RandD(1, (long)m * k);
            var b = GemmTestData.RandD(2, (long)k * n);
            var c0 = GemmTestData.RandD(3, (long)m * n);
            int lda = ta ? m : k, ldb = tb ? k : n;
            var expected = (double[])c0.Clone();
            fixed (double* pa = a, pb = b, pe = expected) GemmReference.Gemm(ta, tb, m, n, k, 0.5, pa, lda, pb, ldb, -1.0, pe, n);
            foreach (var isa in GemmTestData.Isas<double>())
                foreach (int threads in new[] { 1, 2 })
                {
                    var c = (double[])c0.Clone();
                    fixed (double* pa = a, pb = b, pc = c) Gemm.Run(ta, tb, m, n, k, 0.5, pa, lda, pb, ldb, -1.0, pc, n, threads, isa);
                    GemmTestData.Near(expected, c, k, $"dgemm {m}x{n}x{k} ta={ta} tb={tb} {isa} threads={threads}");
                }
        }
    }

    [Fact]
    public void DgemmBetaZeroIgnoresNaN()
    {
        int m = 14, n = 18, k = 11;
        var a = GemmTestData.RandD(5, m * k); var b = GemmTestData.RandD(6, k * n);
        var c = Enumerable.Repeat(double.NaN, m * n).ToArray();
        var expected = new double[m * n];
        fixed (double* pa = a, pb = b, pc = c, pe = expected)
        {
            Gemm.Dgemm(false, true, m, n, k, 1.0, pa, k, pb, k, 0.0, pc, n);
            GemmReference.Gemm(false, true, m, n, k, 1.0, pa, k, pb, k, 0.0, pe, n);
        }
        GemmTestData.Near(expected, c, k, "dgemm beta=0 over NaN");
    }

    [Theory]
    [InlineData(1, 40, 30)]
    [InlineData(2, 600, 500)]
    [InlineData(5, 33, 17)]
    [InlineData(13, 65, 385)]
    [InlineData(70, 45, 64)]
    public void Bf16BMatchesReferenceOnWidenedB(int m, int n, int k)
    {
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            var a = GemmTestData.RandF(1, (long)m * k);
            var bBits = GemmTestData.RandF(2, (long)k * n).Select(DTypeConvert.FloatToBf16).ToArray();
            var bWide = bBits.Select(DTypeConvert.Bf16ToFloat).ToArray(); // the reference sees exactly the bf16 values
            var c0 = GemmTestData.RandF(3, (long)m * n);
            int lda = ta ? m : k, ldb = tb ? k : n;
            var expected = (float[])c0.Clone();
            fixed (float* pa = a, pb = bWide, pe = expected) GemmReference.Gemm(ta, tb, m, n, k, 1.5f, pa, lda, pb, ldb, 0.25f, pe, n);
            foreach (var isa in GemmTestData.Isas<float>())
                foreach (int threads in new[] { 1, 2 })
                {
                    var c = (float[])c0.Clone();
                    fixed (float* pa = a, pc = c) fixed (ushort* pb = bBits)
                        Gemm.RunBf16B(ta, tb, m, n, k, 1.5f, pa, lda, pb, ldb, 0.25f, pc, n, threads, isa);
                    GemmTestData.Near(expected, c, k, $"bf16 {m}x{n}x{k} ta={ta} tb={tb} {isa} threads={threads}");
                }
            // Public entry with beta = 0 over NaN.
            var cn = Enumerable.Repeat(float.NaN, m * n).ToArray();
            var e0 = new float[m * n];
            fixed (float* pa = a, pw = bWide, pc = cn, pe = e0) fixed (ushort* pb = bBits)
            {
                GemmReference.Gemm(ta, tb, m, n, k, 1f, pa, lda, pw, ldb, 0f, pe, n);
                Gemm.SgemmBf16B(ta, tb, m, n, k, 1f, pa, lda, pb, ldb, 0f, pc, n);
            }
            GemmTestData.Near(e0, cn, k, $"bf16 beta=0 {m}x{n}x{k} ta={ta} tb={tb}");
        }
    }

    [Theory]
    [InlineData(4, 20, 33, 17)]    // small: one matrix per thread
    [InlineData(2, 130, 131, 129)] // large: each matrix split across threads
    public void StridedBatchedWithSharedB(int batch, int m, int n, int k)
    {
        foreach (var (ta, tb) in new[] { (false, false), (true, true) })
        {
            long sa = (long)m * k, sc = (long)m * n;
            var a = GemmTestData.RandF(1, batch * sa);
            var b = GemmTestData.RandF(2, (long)k * n); // stride 0: every batch entry uses the same B
            var c0 = GemmTestData.RandF(3, batch * sc);
            int lda = ta ? m : k, ldb = tb ? k : n;
            var expected = (float[])c0.Clone();
            fixed (float* pa = a, pb = b, pe = expected)
                for (int i = 0; i < batch; i++) GemmReference.Gemm(ta, tb, m, n, k, 1f, pa + i * sa, lda, pb, ldb, 0.5f, pe + i * sc, n);
            foreach (int threads in new[] { 1, 2 })
            {
                var c = (float[])c0.Clone();
                fixed (float* pa = a, pb = b, pc = c)
                    Gemm.StridedBatched(ta, tb, m, n, k, 1f, pa, lda, sa, pb, ldb, 0, 0.5f, pc, n, sc, batch, threads);
                GemmTestData.Near(expected, c, k, $"batched {batch}x{m}x{n}x{k} ta={ta} tb={tb} threads={threads}");
            }
        }
    }

    [Fact]
    public void StridedBatchedPublicEntryInDouble()
    {
        int batch = 3, m = 9, n = 10, k = 11;
        long sa = m * k, sb = k * n, sc = m * n;
        var a = GemmTestData.RandD(1, batch * sa); var b = GemmTestData.RandD(2, batch * sb);
        var c = new double[batch * sc]; var expected = new double[batch * sc];
        fixed (double* pa = a, pb = b, pc = c, pe = expected)
        {
            Gemm.GemmStridedBatched(false, false, m, n, k, 1.0, pa, k, sa, pb, n, sb, 0.0, pc, n, sc, batch);
            for (int i = 0; i < batch; i++) GemmReference.Gemm(false, false, m, n, k, 1.0, pa + i * sa, k, pb + i * sb, n, 0.0, pe + i * sc, n);
        }
        GemmTestData.Near(expected, c, k, "batched f64");
    }
}
