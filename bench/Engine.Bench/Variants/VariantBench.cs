using System.Diagnostics;
using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Bench.Variants;

/// <summary>
/// `variants [n] [threads] [rounds]`: the shipped 12×32 AVX-512 kernel against other register-block shapes (generated
/// by gen_kernel.py beside this file) and OpenBLAS, all through the same driver, interleaved round-robin.
/// </summary>
internal static unsafe class VariantBench
{
    public static int Run(string[] args)
    {
        if (!OpenBlasEnv.IsSet) return OpenBlasEnv.Reexec(args);
        int n = args.Length > 1 ? int.Parse(args[1]) : 1024;
        int threads = args.Length > 2 ? int.Parse(args[2]) : 1;
        int rounds = args.Length > 3 ? int.Parse(args[3]) : 15;
        OpenBlas.SetNumThreads(threads);
        var a = Tensor.RandN([n, n], 1); var b = Tensor.RandN([n, n], 2); var c = Tensor.Zeros([n, n]);
        float* pa = a.Ptr<float>(), pb = b.Ptr<float>(), pc = c.Ptr<float>();
        var db = new DenseB<float>(pb, n, false);
        var names = new[] { "blas", "12x2", "14x2", "12x2pf8", "8x2", "6x4" };
        var fns = new Action[]
        {
            () => OpenBlas.Sgemm(false, false, n, n, n, 1f, pa, n, pb, n, 0f, pc, n),
            () => GemmDriver.Run<float, GemmKernelAvx512<float>, DenseB<float>>(false, n, n, n, 1f, pa, n, db, 0f, pc, n, threads),
            () => GemmDriver.Run<float, K14x2<float>, DenseB<float>>(false, n, n, n, 1f, pa, n, db, 0f, pc, n, threads),
            () => GemmDriver.Run<float, K12x2Pf8<float>, DenseB<float>>(false, n, n, n, 1f, pa, n, db, 0f, pc, n, threads),
            () => GemmDriver.Run<float, K8x2<float>, DenseB<float>>(false, n, n, n, 1f, pa, n, db, 0f, pc, n, threads),
            () => GemmDriver.Run<float, K6x4<float>, DenseB<float>>(false, n, n, n, 1f, pa, n, db, 0f, pc, n, threads),
        };
        var t = new List<double>[fns.Length];
        var cpu = new double[fns.Length];
        for (int i = 0; i < fns.Length; i++) { t[i] = []; fns[i](); fns[i](); }
        for (int r = 0; r < rounds; r++)
            for (int i = 0; i < fns.Length; i++)
            {
                int j = (i + r) % fns.Length;
                double c0 = CpuClock.ProcessSeconds();
                var sw = Stopwatch.StartNew(); fns[j](); t[j].Add(sw.Elapsed.TotalSeconds);
                cpu[j] += CpuClock.ProcessSeconds() - c0;
            }
        double fl = 2.0 * n * n * (double)n;
        for (int i = 0; i < fns.Length; i++)
        {
            t[i].Sort();
            Console.WriteLine($"{names[i],6} n={n} thr={threads}: best {fl / t[i][0] / 1e9,6:F1}  median {fl / t[i][t[i].Count / 2] / 1e9,6:F1}  cpu {fl * rounds / (cpu[i] / threads) / 1e9,6:F1} GFLOP/s");
        }
        return 0;
    }
}
