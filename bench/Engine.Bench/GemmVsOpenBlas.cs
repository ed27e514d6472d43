using System.Diagnostics;
using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Bench;

/// <summary>
/// Console comparison: ours and OpenBLAS timed in alternating blocks with idle gaps (see <see cref="BlockTiming"/>), so
/// both see about the same background load and neither runs while the other's threads spin. Prints best and median
/// GFLOP/s per size and the ratio ours/OpenBLAS.
/// </summary>
internal static unsafe class GemmVsOpenBlas
{
    public static int Run(string[] args)
    {
        if (!OpenBlas.Available) { Console.Error.WriteLine($"OpenBLAS not found at {OpenBlas.Path}: apt-get install -y libopenblas0-pthread"); return 2; }
        if (!OpenBlasEnv.IsSet) return OpenBlasEnv.Reexec(args);
        int threads = 2;
        bool skinny = false;
        var sizes = new List<int>();
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--threads") threads = int.Parse(args[++i]);
            else if (args[i] == "--skinny") skinny = true;
            else sizes.Add(int.Parse(args[i]));
        }
        if (skinny) return GemmSkinnyVsOpenBlas.Run(threads);
        if (sizes.Count == 0) sizes.AddRange([256, 512, 1024, 2048]);
        CpuThreads.Count = threads;
        OpenBlas.SetNumThreads(threads);
        Console.WriteLine($"OpenBLAS: {OpenBlas.Describe()}");
        Console.WriteLine($"ours: kernel={Gemm.Resolve<float>(GemmIsa.Auto)} threads={threads}");
        Console.WriteLine("GFLOP/s from wall time (best and median of calls timed in blocks per library, idle gaps between), and from process CPU time ÷ threads (load-robust).");
        Console.WriteLine($"{"size",6} {"thr",4} {"ours best",10} {"blas best",10} {"ratio",6} {"ours med",10} {"blas med",10} {"ratio",6} {"ours cpu",9} {"blas cpu",9} {"ratio",6}  maxdiff");
        foreach (var n in sizes) Compare(n, threads);
        return 0;
    }

    private static void Compare(int n, int threads)
    {
        var a = Tensor.RandN([n, n], 1); var b = Tensor.RandN([n, n], 2);
        var c1 = Tensor.Zeros([n, n]); var c2 = Tensor.Zeros([n, n]);
        float* pa = a.Ptr<float>(), pb = b.Ptr<float>(), p1 = c1.Ptr<float>(), p2 = c2.Ptr<float>();
        void Ours() => Gemm.Sgemm(false, false, n, n, n, 1f, pa, n, pb, n, 0f, p1, n);
        void Blas() => OpenBlas.Sgemm(false, false, n, n, n, 1f, pa, n, pb, n, 0f, p2, n);
        double flops = 2.0 * n * n * (double)n;
        // ~0.6 s of work per library at 150 GFLOP/s, at least 5 samples.
        int rounds = (int)Math.Clamp(0.6 * 150e9 / flops, 5, 400);
        // Timed in blocks per library with idle gaps (BlockTiming): interleaved call by call, OpenBLAS's workers, still
        // spinning after its call, took our cores (256³ on 2 threads read 0.48× interleaved, 1.14× alone).
        var res = BlockTiming.Run([Ours, Blas], rounds);
        var (to, cpuOurs) = res[0]; var (tb, cpuBlas) = res[1];
        rounds = to.Length;
        double maxDiff = 0;
        for (long i = 0; i < (long)n * n; i++) maxDiff = Math.Max(maxDiff, Math.Abs(p1[i] - p2[i]));
        double ob = flops / to[0] / 1e9, bb = flops / tb[0] / 1e9, om = flops / to[rounds / 2] / 1e9, bm = flops / tb[rounds / 2] / 1e9;
        double oc = flops * rounds / (cpuOurs / threads) / 1e9, bc = flops * rounds / (cpuBlas / threads) / 1e9;
        Console.WriteLine($"{n,6} {threads,4} {ob,10:F1} {bb,10:F1} {ob / bb,6:F2} {om,10:F1} {bm,10:F1} {om / bm,6:F2} {oc,9:F1} {bc,9:F1} {oc / bc,6:F2}  {maxDiff:G3}");
    }
}
