using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Bench;

/// <summary>
/// Diagnostic for one decode shape (C[M×N] = X·Wᵀ): every route warmed first, then each timed alone (back to back, no
/// other library in the process busy), then interleaved with OpenBLAS sgemv, to separate a route's own speed from interference between
/// libraries (OpenBLAS's pthread workers keep spinning after each call). Usage: skinny-probe N K [M] [--threads T] [--spin-us S --hot-us H].
/// </summary>
internal static unsafe class GemmSkinnyProbe
{
    public static int Run(string[] args)
    {
        if (!OpenBlasEnv.IsSet) return OpenBlasEnv.Reexec(args);
        int threads = 2; var dims = new List<int>();
        for (int i = 1; i < args.Length; i++)
            if (args[i] == "--threads") threads = int.Parse(args[++i]);
            else if (args[i] == "--spin-us") GemmWorkers.SpinTicks = System.Diagnostics.Stopwatch.Frequency * long.Parse(args[++i]) / 1_000_000;
            else if (args[i] == "--hot-us") GemmWorkers.HotTicks = System.Diagnostics.Stopwatch.Frequency * long.Parse(args[++i]) / 1_000_000;
            else dims.Add(int.Parse(args[i]));
        int n = dims[0], k = dims[1], m = dims.Count > 2 ? dims[2] : 1;
        CpuThreads.Count = threads;
        OpenBlas.SetNumThreads(threads);
        var x = Tensor.RandN([m, k], 1); var w = Tensor.RandN([n, k], 2); var c = Tensor.Zeros([m, n]);
        float* px = x.Ptr<float>(), pw = w.Ptr<float>(), pc = c.Ptr<float>();
        var bs = new DenseB<float>(pw, k, true);
        var routes = new (string Name, Action F)[]
        {
            ("dispatch", () => Gemm.Sgemm(false, true, m, n, k, 1f, px, k, pw, k, 0f, pc, n)),
            ("small", () => GemmSmall.Run(false, true, m, n, k, 1f, px, k, bs, 0f, pc, n, threads)),
            ("skinny", () => GemmSkinny.Run(GemmIsa.Avx512, false, true, m, n, k, 1f, px, k, bs, 0f, pc, n, threads)),
            ("gemv", () => { GemvF32.PrefetchAhead = 0; GemvF32.Run(n, k, 1f, px, pw, k, 0f, pc, threads); }),
            ("gemv-pf512", () => { GemvF32.PrefetchAhead = 512; GemvF32.Run(n, k, 1f, px, pw, k, 0f, pc, threads); GemvF32.PrefetchAhead = 0; }),
            ("halves", () => RowDots(n, k, px, pw, pc, threads, 0)),
            ("halves-rev", () => RowDots(n, k, px, pw, pc, threads, 1)),
            ("halves-skew", () => RowDots(n, k, px, pw, pc, threads, 2)),
            ("sgemv", () => { for (int i = 0; i < m; i++) OpenBlas.Sgemv(n, k, 1f, pw, k, px + (long)i * k, 0f, pc + (long)i * n); }),
        };
        double flops = 2.0 * m * n * k;
        int rounds = (int)Math.Clamp(0.3 * 20e9 / flops, 9, 2000);
        Console.WriteLine($"M={m} N={n} K={k} threads={threads} rounds={rounds}; median GFLOP/s (wall), cpu = flops/(cpu s/threads)");
        // Every route warmed (and its JIT tiers settled) before any is timed: the first route timed used to run cold.
        foreach (var (_, f) in routes) for (int i = 0; i < 3; i++) f();
        Thread.Sleep(300);
        foreach (var (name, f) in routes)
        {
            var t = new double[rounds]; double cpu = 0;
            for (int r = 0; r < rounds; r++) t[r] = CpuClock.Time(f, ref cpu);
            Array.Sort(t);
            Console.WriteLine($"  alone        {name,-9} {flops / t[rounds / 2] / 1e9,8:F1}  cpu {flops * rounds / (cpu / threads) / 1e9,8:F1}");
            Thread.Sleep(300); // let OpenBLAS's workers go back to sleep before the next route
        }
        var tt = new double[routes.Length, rounds]; var cpus = new double[routes.Length];
        for (int r = 0; r < rounds; r++)
            for (int q = 0; q < routes.Length; q++) tt[q, r] = CpuClock.Time(routes[q].F, ref cpus[q]);
        for (int q = 0; q < routes.Length; q++)
        {
            var t = Enumerable.Range(0, rounds).Select(r => tt[q, r]).Order().ToArray();
            Console.WriteLine($"  interleaved  {routes[q].Name,-9} {flops / t[rounds / 2] / 1e9,8:F1}  cpu {flops * rounds / (cpus[q] / threads) / 1e9,8:F1}");
        }
        return 0;
    }

    /// <summary>M = 1 by row dots, W's rows split in halves; order 0: both ascending, 1: odd workers descending,
    /// 2: odd workers start mid-range and wrap (the streams never sit a fixed power of two apart).</summary>
    private static void RowDots(int n, int k, float* x, float* w, float* c, int threads, int order)
    {
        GemmWorkers.Run(threads, t =>
        {
            int lo = (int)((long)n * t / threads), hi = (int)((long)n * (t + 1) / threads), len = hi - lo;
            var xs = new ReadOnlySpan<float>(x, k);
            for (int q = 0; q < len; q++)
            {
                int j = (t & 1) == 0 || order == 0 ? lo + q : order == 1 ? hi - 1 - q : lo + (q + len / 2) % len;
                c[j] = CpuReduce.Dot(xs, new ReadOnlySpan<float>(w + (long)j * k, k));
            }
        });
    }
}
