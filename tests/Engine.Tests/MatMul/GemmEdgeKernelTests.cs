using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Tests.CpuGemm;

/// <summary>
/// GemmKernelAvx512Edge (the short last row panel, ≤ 8 of 12 rows) against the 12-row kernel it replaces there: the
/// same bytes, on 1 and 2 threads (the second takes the cooperative driver), for f32 and f64, and near a float64 reference.
/// </summary>
public unsafe class GemmEdgeKernelTests
{
    [Theory]
    [InlineData(256, 256, 256)] // 21 panels of 12, then 4 rows
    [InlineData(260, 256, 300)] // then 8 rows
    [InlineData(255, 96, 512)]  // then 3 rows
    [InlineData(601, 200, 500)] // then 1 row, and an edge in n
    public void ShortLastPanelGivesTheFullKernelsBytes(int m, int n, int k)
    {
        if (!GemmKernelAvx512<float>.IsSupported) return; // other kernels never take the edge path
        var a = GemmTestData.RandF(61, (long)m * k); var b = GemmTestData.RandF(62, (long)k * n); var c0 = GemmTestData.RandF(63, (long)m * n);
        foreach (int threads in new[] { 1, 2 })
        {
            using var pin = CpuThreads.Pin(threads);
            float[] Run(bool edge)
            {
                var c = (float[])c0.Clone();
                GemmDriver.EdgeKernel = edge;
                try { fixed (float* pa = a, pb = b, pc = c) Gemm.Sgemm(false, false, m, n, k, 0.75f, pa, k, pb, n, -0.5f, pc, n); }
                finally { GemmDriver.EdgeKernel = true; }
                return c;
            }
            var withEdge = Run(true);
            Assert.True(withEdge.AsSpan().SequenceEqual(Run(false)), $"f32 {m}x{n}x{k} threads={threads}: edge kernel changed the bytes");
            var expected = new float[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += (double)a[(long)i * k + p] * b[(long)p * n + j];
                    expected[(long)i * n + j] = (float)(0.75 * s - 0.5 * c0[(long)i * n + j]);
                }
            GemmTestData.Near(expected, withEdge, k, $"f32 {m}x{n}x{k} threads={threads}");
        }
    }

    [Fact]
    public void DoublePrecisionShortPanelGivesTheFullKernelsBytes()
    {
        if (!GemmKernelAvx512<double>.IsSupported) return;
        const int k = 300;
        foreach (var (mm, nn) in new[] { (256, 128), (260, 96) }) // 21 panels of 12, then 4 or 8 rows
        {
            var a = GemmTestData.RandD(64, (long)mm * k); var b = GemmTestData.RandD(65, (long)k * nn);
            double[] Run(bool edge)
            {
                var c = new double[mm * nn];
                GemmDriver.EdgeKernel = edge;
                try { fixed (double* pa = a, pb = b, pc = c) Gemm.Dgemm(false, false, mm, nn, k, 1.0, pa, k, pb, nn, 0.0, pc, nn); }
                finally { GemmDriver.EdgeKernel = true; }
                return c;
            }
            Assert.True(Run(true).AsSpan().SequenceEqual(Run(false)), $"f64 {mm}x{nn}x{k}");
        }
    }
}
