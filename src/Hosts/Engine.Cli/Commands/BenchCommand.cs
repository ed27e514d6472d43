using System.CommandLine;
using System.Diagnostics;
using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Cli.Commands;

/// <summary>`engine bench ...`: quick console benchmarks (the BenchmarkDotNet suites live in bench/).</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Quick kernel benchmarks (for full BenchmarkDotNet suites see bench/).");
        var size = new Option<int>("--size") { Description = "Matrix size N (M = N = K).", DefaultValueFactory = _ => 1024 };
        var threads = new Option<int>("--threads") { Description = "CPU threads (default: ENGINE_THREADS or all cores).", DefaultValueFactory = _ => CpuThreads.Count };
        var reps = new Option<int>("--reps") { Description = "Timed repetitions; the best is reported.", DefaultValueFactory = _ => 10 };
        var gemm = new Command("gemm", "Time f32 GEMM N×N×N on the CPU and print one line: gemm f32 size=N threads=T gflops=X.") { size, threads, reps };
        gemm.SetAction(r => RunGemm(r.GetValue(size), r.GetValue(threads), r.GetValue(reps)));
        bench.Subcommands.Add(gemm);
        bench.Subcommands.Add(BenchAttentionCommand.Create());
        bench.Subcommands.Add(CudaBenchCommand.Create());
        bench.Subcommands.Add(ServeBenchCommand.Create());
        bench.Subcommands.Add(BenchOpsCommand.Create());
        bench.Subcommands.Add(BenchTrainCommand.Create());
        bench.Subcommands.Add(BenchDecodeCommand.Create());
        return bench;
    }

    private static unsafe int RunGemm(int n, int threads, int reps)
    {
        if (n <= 0 || threads <= 0 || reps <= 0) { Console.Error.WriteLine("--size, --threads and --reps must be positive."); return 2; }
        CpuThreads.Count = threads;
        var a = Tensor.RandN([n, n], 1); var b = Tensor.RandN([n, n], 2); var c = Tensor.Zeros([n, n]);
        void Once() => Gemm.Sgemm(false, false, n, n, n, 1f, a.Ptr<float>(), n, b.Ptr<float>(), n, 0f, c.Ptr<float>(), n);
        Once(); Once(); // warm up: JIT tiers, page faults
        double best = double.MaxValue;
        for (int i = 0; i < reps; i++)
        {
            var sw = Stopwatch.StartNew();
            Once();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        var gflops = 2.0 * n * n * (double)n / best / 1e9;
        Console.WriteLine($"gemm f32 size={n} threads={threads} gflops={gflops:F1}");
        return 0;
    }
}
