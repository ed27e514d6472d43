using System.Diagnostics;
using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Bench;

/// <summary>
/// Decode shapes, C[M×N] = X[M×K]·Wᵀ with W stored [N×K] row-major (a linear layer at batch M = 1–8), ours against
/// OpenBLAS sgemm (transB), OpenBLAS sgemv (one call per row of X) and the route
/// these shapes took before ("before": GemmSmall for M < 4); timed in blocks per route with idle gaps (<see cref="BlockTiming"/>).
/// GB/s counts one read of W, the traffic that bounds these shapes once W is out of cache.
/// </summary>
internal static unsafe class GemmSkinnyVsOpenBlas
{
    private static readonly (int N, int K)[] Shapes = [(512, 512), (1024, 1024), (2048, 2048), (4096, 4096), (11008, 4096), (4096, 11008), (32000, 512)];
    private static readonly int[] Ms = [1, 2, 4, 8];

    public static int Run(int threads)
    {
        CpuThreads.Count = threads;
        OpenBlas.SetNumThreads(threads);
        Console.WriteLine($"OpenBLAS: {OpenBlas.Describe()}");
        Console.WriteLine($"ours: kernel={Gemm.Resolve<float>(GemmIsa.Auto)} threads={threads}; C = X·Wᵀ, W [N×K] f32; median of calls timed in blocks per route, idle gaps between");
        Console.WriteLine($"{"M",3} {"N",6} {"K",5} {"thr",4} {"ours GF/s",10} {"sgemm GF/s",11} {"ratio",6} {"sgemv GF/s",11} {"ratio",6} {"before",8} {"ours GB/s",10} {"ours cpu",9} {"blas cpu",9}  maxdiff");
        foreach (var (n, k) in Shapes)
            foreach (int m in Ms) Compare(m, n, k, threads);
        return 0;
    }

    private static void Compare(int m, int n, int k, int threads)
    {
        var x = Tensor.RandN([m, k], 1); var w = Tensor.RandN([n, k], 2);
        var c1 = Tensor.Zeros([m, n]); var c2 = Tensor.Zeros([m, n]); var c3 = Tensor.Zeros([m, n]); var c4 = Tensor.Zeros([m, n]);
        float* px = x.Ptr<float>(), pw = w.Ptr<float>(), p1 = c1.Ptr<float>(), p2 = c2.Ptr<float>(), p3 = c3.Ptr<float>(), p4 = c4.Ptr<float>();
        void Ours() => Gemm.Sgemm(false, true, m, n, k, 1f, px, k, pw, k, 0f, p1, n);
        void Blas() => OpenBlas.Sgemm(false, true, m, n, k, 1f, px, k, pw, k, 0f, p2, n);
        // The route these shapes took before the small-M path: GemmSmall for M < 4, else the packed driver.
        void Before()
        {
            var bs = new DenseB<float>(pw, k, true);
            if (m < 4) GemmSmall.Run(false, true, m, n, k, 1f, px, k, bs, 0f, p4, n, threads);
            else if (Gemm.Resolve<float>(GemmIsa.Auto) == GemmIsa.Avx512) GemmDriver.Run<float, GemmKernelAvx512<float>, DenseB<float>>(false, m, n, k, 1f, px, k, bs, 0f, p4, n, threads);
            else GemmDriver.Run<float, GemmKernelAvx2<float>, DenseB<float>>(false, m, n, k, 1f, px, k, bs, 0f, p4, n, threads);
        }
        void Gemv() { for (int i = 0; i < m; i++) OpenBlas.Sgemv(n, k, 1f, pw, k, px + (long)i * k, 0f, p3 + (long)i * n); }
        double flops = 2.0 * m * n * k;
        int rounds = (int)Math.Clamp(0.2 * 20e9 / flops, 9, 1000);
        var res = BlockTiming.Run([Ours, Blas, Gemv, Before], rounds);
        var (to, cpuOurs) = res[0]; var (tb, cpuBlas) = res[1]; var (tv, _) = res[2]; var (tp, _) = res[3];
        rounds = to.Length;
        double maxDiff = 0;
        for (long i = 0; i < (long)m * n; i++) maxDiff = Math.Max(maxDiff, Math.Abs(p1[i] - p2[i]));
        double om = flops / to[rounds / 2] / 1e9, bm = flops / tb[rounds / 2] / 1e9, vm = flops / tv[rounds / 2] / 1e9, pm = flops / tp[rounds / 2] / 1e9;
        double gbs = 4.0 * n * k / to[rounds / 2] / 1e9;
        double oc = flops * rounds / (cpuOurs / threads) / 1e9, bc = flops * rounds / (cpuBlas / threads) / 1e9;
        Console.WriteLine($"{m,3} {n,6} {k,5} {threads,4} {om,10:F1} {bm,11:F1} {om / bm,6:F2} {vm,11:F1} {om / vm,6:F2} {pm,8:F1} {gbs,10:F1} {oc,9:F1} {bc,9:F1}  {maxDiff:G3}");
    }
}
