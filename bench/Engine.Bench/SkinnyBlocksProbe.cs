using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Bench;

/// <summary>
/// Diagnostic for one M = 1 decode shape timed in blocks as in the skinny table (<see cref="BlockTiming"/>): the same
/// four routes rotated with idle gaps, then fewer routes, other gaps, so a route's speed in the table can be traced to
/// what runs around it. Prints each route's median per block (the route before it differs from block to block) and
/// overall; on 2 threads also GemvF32's two halves timed one by one with the CPU each ran on ("halves"), with and
/// without GemmWorkers.MoveOffCallersCpu, which showed both halves often running on one CPU without it. Usage: skinny-blocks N K [--threads T] [--rounds R].
/// </summary>
internal static unsafe partial class SkinnyBlocksProbe
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "sched_getcpu")]
    private static partial int SchedGetCpu();

    /// <summary>Per call of the instrumented GEMV: each half's start (after the call began) and length in ticks, and its CPU.</summary>
    private static readonly List<(long Start0, long Len0, int Cpu0, long Start1, long Len1, int Cpu1)> Trace = [];

    /// <summary>GemvF32 on 2 threads in its fixed halves, timing each half and noting the CPU it ran on.</summary>
    private static void TracedGemv(int n, int k, float* x, float* w, float* y)
    {
        int groups = (n + 3) / 4;
        var s = new long[2]; var l = new long[2]; var cpu = new int[2];
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        GemmWorkers.Run(2, i =>
        {
            long a = System.Diagnostics.Stopwatch.GetTimestamp();
            cpu[i] = SchedGetCpu();
            GemvF32.Columns((int)Math.Min(n, (long)groups * i / 2 * 4), (int)Math.Min(n, (long)groups * (i + 1) / 2 * 4), k, 1f, x, w, k, 0f, y);
            long b = System.Diagnostics.Stopwatch.GetTimestamp();
            s[i] = a - t0; l[i] = b - a;
        });
        Trace.Add((s[0], l[0], cpu[0], s[1], l[1], cpu[1]));
    }

    public static int Run(string[] args)
    {
        if (!OpenBlasEnv.IsSet) return OpenBlasEnv.Reexec(args);
        int threads = 2, rounds = 0; var dims = new List<int>();
        for (int i = 1; i < args.Length; i++)
            if (args[i] == "--threads") threads = int.Parse(args[++i]);
            else if (args[i] == "--rounds") rounds = int.Parse(args[++i]);
            else dims.Add(int.Parse(args[i]));
        int n = dims[0], k = dims[1];
        CpuThreads.Count = threads;
        OpenBlas.SetNumThreads(threads);
        var x = Tensor.RandN([1, k], 1); var w = Tensor.RandN([n, k], 2);
        var c1 = Tensor.Zeros([1, n]); var c2 = Tensor.Zeros([1, n]); var c3 = Tensor.Zeros([1, n]); var c4 = Tensor.Zeros([1, n]);
        float* px = x.Ptr<float>(), pw = w.Ptr<float>(), p1 = c1.Ptr<float>(), p2 = c2.Ptr<float>(), p3 = c3.Ptr<float>(), p4 = c4.Ptr<float>();
        var bs = new DenseB<float>(pw, k, true);
        var ours = ("ours", (Action)(() => Gemm.Sgemm(false, true, 1, n, k, 1f, px, k, pw, k, 0f, p1, n)));
        var sgemm = ("sgemm", (Action)(() => OpenBlas.Sgemm(false, true, 1, n, k, 1f, px, k, pw, k, 0f, p2, n)));
        var sgemv = ("sgemv", (Action)(() => OpenBlas.Sgemv(n, k, 1f, pw, k, px, 0f, p3)));
        var traced = ("halves", (Action)(() => TracedGemv(n, k, px, pw, p1)));
        var before = ("before", (Action)(() => GemmSmall.Run(false, true, 1, n, k, 1f, px, k, bs, 0f, p4, n, threads)));
        double flops = 2.0 * n * k;
        if (rounds == 0) rounds = (int)Math.Clamp(0.2 * 20e9 / flops, 9, 1000); // the skinny table's count
        Console.WriteLine($"M=1 N={n} K={k} threads={threads} calls per route={rounds} in 3 blocks; median GFLOP/s per block [route run just before] and overall");
        Schedule("table: 4 routes, 250 ms gaps", [ours, sgemm, sgemv, before], rounds, BlockTiming.GapMs, flops);
        if (threads == 2)
        {
            foreach (bool move in new[] { false, true })
            {
                GemmWorkers.MoveOffCallersCpu = move;
                Trace.Clear();
                Schedule($"halves (GemvF32's split, each half timed), worker moves off the caller's CPU: {move}, with sgemv, before, 250 ms gaps", [traced, sgemv, before], rounds, BlockTiming.GapMs, flops);
                Report(Trace);
                Trace.Clear();
                Schedule($"halves alone, moves off: {move}, 250 ms gaps", [traced], rounds, BlockTiming.GapMs, flops);
                Report(Trace);
                Schedule($"ours, moves off: {move}, with sgemv, before, 250 ms gaps", [ours, sgemv, before], rounds, BlockTiming.GapMs, flops);
            }
            GemmWorkers.MoveOffCallersCpu = true;
        }
        Schedule("ours, sgemv, 250 ms gaps", [ours, sgemv], rounds, BlockTiming.GapMs, flops);
        Schedule("ours, before, 250 ms gaps", [ours, before], rounds, BlockTiming.GapMs, flops);
        Schedule("ours, sgemm, 250 ms gaps", [ours, sgemm], rounds, BlockTiming.GapMs, flops);
        Schedule("ours alone, 250 ms gaps", [ours], rounds, BlockTiming.GapMs, flops);
        Schedule("sgemv alone, 250 ms gaps", [sgemv], rounds, BlockTiming.GapMs, flops);
        Schedule("table: 4 routes, no gaps", [ours, sgemm, sgemv, before], rounds, 0, flops);
        return 0;
    }

    private static void Schedule(string title, (string Name, Action F)[] routes, int calls, int gapMs, double flops)
    {
        const int blocks = 3;
        foreach (var (_, f) in routes) for (int i = 0; i < 3; i++) f();
        Thread.Sleep(BlockTiming.GapMs);
        int per = Math.Max(1, (calls + blocks - 1) / blocks);
        var t = new double[routes.Length][][];
        var prev = new string[routes.Length][];
        for (int r = 0; r < routes.Length; r++) { t[r] = new double[blocks][]; prev[r] = new string[blocks]; }
        string last = "-";
        for (int b = 0; b < blocks; b++)
            for (int q = 0; q < routes.Length; q++)
            {
                int r = (q + b) % routes.Length;
                double cpu = 0;
                t[r][b] = new double[per];
                for (int i = 0; i < per; i++) t[r][b][i] = CpuClock.Time(routes[r].F, ref cpu);
                prev[r][b] = last; last = routes[r].Name;
                if (gapMs > 0) Thread.Sleep(gapMs);
            }
        Console.WriteLine($"{title}:");
        for (int r = 0; r < routes.Length; r++)
        {
            var all = t[r].SelectMany(v => v).Order().ToArray();
            var perBlock = string.Join("  ", Enumerable.Range(0, blocks).Select(b => $"{flops / Median(t[r][b]) / 1e9,6:F1} [{prev[r][b],-6}]"));
            var firsts = string.Join(" ", t[r][0].Take(4).Select(s => $"{s * 1e6:F0}"));
            Console.WriteLine($"  {routes[r].Name,-7} {flops / all[all.Length / 2] / 1e9,7:F1}   blocks: {perBlock}   first calls of block 0 (µs): {firsts}");
        }
    }

    /// <summary>Medians of each half's start delay and length, and how often both halves ran on the same CPU.</summary>
    private static void Report(List<(long Start0, long Len0, int Cpu0, long Start1, long Len1, int Cpu1)> trace)
    {
        double us = 1e6 / System.Diagnostics.Stopwatch.Frequency;
        double Med(Func<(long, long, int, long, long, int), long> f) => trace.Select(f).Order().ElementAt(trace.Count / 2) * us;
        int same = trace.Count(r => r.Cpu0 == r.Cpu1);
        var pairs = string.Join(" ", trace.GroupBy(r => (r.Cpu0, r.Cpu1)).Select(g => $"({g.Key.Cpu0},{g.Key.Cpu1})×{g.Count()}"));
        Console.WriteLine($"  halves over {trace.Count} calls: caller half {Med(r => r.Item2):F0} µs, worker half {Med(r => r.Item5):F0} µs, worker start {Med(r => r.Item4):F0} µs after the call; (caller cpu, worker cpu): {pairs}; same cpu {same}");
        var slow = trace.OrderByDescending(r => Math.Max(r.Item2, r.Item4 + r.Item5)).Take(5)
            .Select(r => $"[{r.Item2 * us:F0}/{r.Item4 * us:F0}+{r.Item5 * us:F0} cpu {r.Item3},{r.Item6}]");
        Console.WriteLine($"  slowest calls [caller half µs / worker start + half µs]: {string.Join(" ", slow)}");
    }

    private static double Median(double[] v) { var s = v.Order().ToArray(); return s[s.Length / 2]; }
}
