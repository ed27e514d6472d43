using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Bench;

/// <summary>
/// Where the time of one small square GEMM goes (default 256³, one thread): the whole call against its packing steps
/// alone (A, B) and against OpenBLAS, interleaved call by call; the remainder is the microkernel loop. CPU-time figures
/// (process CPU seconds) are given because the shared machine's wall time is noisy. Usage: square-probe [n] [--threads T] [--spin-us S --hot-us H] (the GEMM workers' wait policy).
/// </summary>
internal static unsafe class GemmSmallSquareProbe
{
    public static int Run(string[] args)
    {
        if (!OpenBlasEnv.IsSet) return OpenBlasEnv.Reexec(args);
        int n = 256, threads = 1;
        for (int i = 1; i < args.Length; i++)
            if (args[i] == "--threads") threads = int.Parse(args[++i]);
            else if (args[i] == "--spin-us") GemmWorkers.SpinTicks = System.Diagnostics.Stopwatch.Frequency * long.Parse(args[++i]) / 1_000_000;
            else if (args[i] == "--hot-us") GemmWorkers.HotTicks = System.Diagnostics.Stopwatch.Frequency * long.Parse(args[++i]) / 1_000_000;
            else n = int.Parse(args[i]);
        CpuThreads.Count = threads;
        OpenBlas.SetNumThreads(threads);
        var a = Tensor.RandN([n, n], 1); var b = Tensor.RandN([n, n], 2); var c = Tensor.Zeros([n, n]);
        float* pa = a.Ptr<float>(), pb = b.Ptr<float>(), pc = c.Ptr<float>();
        var bl = GemmBlocking.Of<float>(12, 32);
        int kc = GemmBlocking.Balanced(n, bl.KC), nc = GemmBlocking.Balanced(n, bl.NC, 32);
        float* ap = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)((n + 12) * kc * 4), 64);
        float* bp = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)((nc + 32) * kc * 4), 64);
        var bs = new DenseB<float>(pb, n, false);
        var routes = new (string Name, Action F)[]
        {
            ("ours", () => Gemm.Run(false, false, n, n, n, 1f, pa, n, pb, n, 0f, pc, n, threads)),
            ("openblas", () => OpenBlas.Sgemm(false, false, n, n, n, 1f, pa, n, pb, n, 0f, pc, n)),
            ("packA", () => { for (int pc0 = 0; pc0 < n; pc0 += kc) GemmPackA.Pack(false, pa, n, 0, n, pc0, Math.Min(kc, n - pc0), 12, ap); }),
            ("packB", () => { for (int pc0 = 0; pc0 < n; pc0 += kc) for (int j = 0; j < n; j += nc) bs.Pack(pc0, Math.Min(kc, n - pc0), j, Math.Min(nc, n - j), 32, bp); }),
        };
        double flops = 2.0 * n * n * (double)n;
        int rounds = (int)Math.Clamp(2e10 / flops, 20, 4000);
        for (int r = 0; r < 50; r++) foreach (var q in routes) q.F();
        Console.WriteLine($"n={n} threads={threads} KC={kc} NC={nc} rounds={rounds}; µs per call: median wall, CPU (process CPU ÷ threads)");
        // Each route alone first (back to back, after a pause that lets OpenBLAS's spinning workers go to sleep).
        foreach (var (name, f) in routes)
        {
            Thread.Sleep(300);
            var t = new double[rounds]; double cpu = 0;
            for (int r = 0; r < rounds; r++) t[r] = CpuClock.Time(f, ref cpu);
            Array.Sort(t);
            Console.WriteLine($"  alone {name,-9} {t[rounds / 2] * 1e6,9:F1} {cpu / threads / rounds * 1e6,9:F1}   ({flops / t[rounds / 2] / 1e9:F1} GFLOP/s wall)");
        }
        var tt = new double[routes.Length, rounds]; var cpus = new double[routes.Length];
        for (int r = 0; r < rounds; r++)
            for (int q = 0; q < routes.Length; q++) tt[q, r] = CpuClock.Time(routes[q].F, ref cpus[q]);
        for (int q = 0; q < routes.Length; q++)
        {
            var t = Enumerable.Range(0, rounds).Select(r => tt[q, r]).Order().ToArray();
            Console.WriteLine($"  inter {routes[q].Name,-9} {t[rounds / 2] * 1e6,9:F1} {cpus[q] / threads / rounds * 1e6,9:F1}   ({flops / t[rounds / 2] / 1e9:F1} GFLOP/s wall)");
        }
        return 0;
    }
}
