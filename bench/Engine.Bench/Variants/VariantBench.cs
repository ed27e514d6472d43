using System.Diagnostics;
using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Bench.Variants;

/// <summary>
/// `variants [n] [threads] [rounds] [--kc K] [--l2 BYTES] [--mc ROWS]`: the shipped 12×32 AVX-512 kernel against other register-block shapes (generated
/// by gen_kernel.py beside this file) and OpenBLAS, all through the same driver, interleaved round-robin.
/// </summary>
internal static unsafe class VariantBench
{
    public static int Run(string[] args)
    {
        if (!OpenBlasEnv.IsSet) return OpenBlasEnv.Reexec(args);
        // Blocking overrides (KC, bytes of L2 for packed B, MC rows) apply to every kernel below.
        var opts = args.Skip(1).Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        string? Opt(string name) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }
        foreach (var name in new[] { "--kc", "--l2", "--mc" }) if (Opt(name) is { } v) opts.Remove(v);
        var row = GemmTuning.Current;
        if (Opt("--kc") is { } kc) row = row with { KcF32 = int.Parse(kc) };
        if (Opt("--l2") is { } l2) row = row with { L2BudgetBytes = int.Parse(l2) };
        if (Opt("--mc") is { } mc) row = row with { McRows = int.Parse(mc) };
        GemmTuning.BenchRow = row;
        Console.WriteLine($"blocking: {row}");
        int n = opts.Count > 0 ? int.Parse(opts[0]) : 1024;
        int threads = opts.Count > 1 ? int.Parse(opts[1]) : 1;
        int rounds = opts.Count > 2 ? int.Parse(opts[2]) : 15;
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
