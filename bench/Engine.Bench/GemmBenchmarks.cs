using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Bench;

/// <summary>sgemm N×N×N, ours vs OpenBLAS (comparison only), both on 2 threads, in one BenchmarkDotNet run.</summary>
[Config(typeof(Cfg))]
public unsafe class GemmBenchmarks
{
    private sealed class Cfg : ManualConfig
    {
        public Cfg() => AddJob(Job.Default
            .WithEnvironmentVariables(OpenBlasEnv.Vars.Select(v => new EnvironmentVariable(v.Name, v.Value)).ToArray())
            .WithEnvironmentVariable("ENGINE_THREADS", "2"));
    }

    [Params(1024)] public int N;

    private Tensor _a = null!, _b = null!, _c = null!;

    [GlobalSetup]
    public void Setup()
    {
        CpuThreads.Count = 2;
        _a = Tensor.RandN([N, N], 1); _b = Tensor.RandN([N, N], 2); _c = Tensor.Zeros([N, N]);
        if (OpenBlas.Available) Console.WriteLine($"// OpenBLAS: {OpenBlas.Describe()}");
    }

    [Benchmark(Baseline = true)]
    public void OpenBlasSgemm() => OpenBlas.Sgemm(false, false, N, N, N, 1f, _a.Ptr<float>(), N, _b.Ptr<float>(), N, 0f, _c.Ptr<float>(), N);

    [Benchmark]
    public void EngineSgemm() => Gemm.Sgemm(false, false, N, N, N, 1f, _a.Ptr<float>(), N, _b.Ptr<float>(), N, 0f, _c.Ptr<float>(), N);
}
