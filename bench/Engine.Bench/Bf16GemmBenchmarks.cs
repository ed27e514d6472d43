using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Bench;

/// <summary>
/// X·Wᵀ at N×N×N on 1 thread: the f32 GEMM (baseline), the VDPBF16PS bf16 GEMM, and its 12×32 microkernel alone on
/// packed operands that stay in cache (the kernel's own peak, without packing). --filter '*Bf16Gemm*'.
/// </summary>
[Config(typeof(Cfg))]
public unsafe class Bf16GemmBenchmarks
{
    private sealed class Cfg : ManualConfig
    {
        public Cfg() => AddJob(Job.Default.WithEnvironmentVariable("ENGINE_THREADS", "1"));
    }

    [Params(1024)] public int N;

    private Tensor _x = null!, _w = null!, _c = null!;
    private ushort[] _wb = null!;
    private uint[] _ap = null!, _bp = null!;
    private float[] _tile = null!;
    private const int KernelPairs = 256; // kc = 512: a 12×512 A panel (12 KiB) and a 512×32 B panel (32 KiB)

    [GlobalSetup]
    public void Setup()
    {
        CpuThreads.Count = 1;
        _x = Tensor.RandN([N, N], 1); _w = Tensor.RandN([N, N], 2); _c = Tensor.Zeros([N, N]);
        _wb = new ushort[(long)N * N];
        DTypeConvert.FloatToBf16(new ReadOnlySpan<float>(_w.Ptr<float>(), N * N), _wb);
        var r = new Random(3);
        _ap = new uint[KernelPairs * Bf16Kernel.MR]; _bp = new uint[KernelPairs * Bf16Kernel.NR];
        for (int i = 0; i < _ap.Length; i++) _ap[i] = 0x3F803F80u ^ (uint)r.Next(0, 0x007F007F);
        for (int i = 0; i < _bp.Length; i++) _bp[i] = 0x3F803F80u ^ (uint)r.Next(0, 0x007F007F);
        _tile = new float[Bf16Kernel.MR * Bf16Kernel.NR];
        if (!Bf16Kernel.NativeSupported) throw new PlatformNotSupportedException(Bf16Kernel.UnavailableReason);
    }

    [Benchmark(Baseline = true)]
    public void F32Gemm() => Gemm.Sgemm(false, true, N, N, N, 1f, _x.Ptr<float>(), N, _w.Ptr<float>(), N, 0f, _c.Ptr<float>(), N);

    [Benchmark]
    public void Bf16DotGemm()
    {
        fixed (ushort* pw = _wb) Gemm.RunBf16Dot(true, false, true, N, N, N, 1f, _x.Ptr<float>(), N, pw, N, 0f, _c.Ptr<float>(), N, 1);
    }

    /// <summary>One microkernel call: 12·32·512 multiply-adds (393,216 flops); GFLOP/s = 0.393 ÷ time in µs · 1000.</summary>
    [Benchmark]
    public void Bf16Microkernel()
    {
        fixed (uint* a = _ap, b = _bp) fixed (float* c = _tile) Bf16Kernel.Run(true, KernelPairs, a, b, c, Bf16Kernel.NR, 1f, 0f);
    }
}
