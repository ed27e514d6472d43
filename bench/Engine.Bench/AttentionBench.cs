using BenchmarkDotNet.Attributes;
using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Bench;

/// <summary>
/// Fused causal attention forward+backward (B = 1, 8 heads, T = 512, D = 64, f32) against two GEMMs with the same FLOPs.
///
/// FLOPs, FlashAttention-2 convention (a multiply-add is 2 FLOPs; the backward recomputes S and counts it):
///   forward  2 matmuls (S = Q·Kᵀ, O = P·V)                          : 2 · 2·B·H·T²·D
///   backward 5 matmuls (S again, dV = Pᵀ·dO, dP = dO·Vᵀ, dQ = dS·K, dK = dSᵀ·Q) : 5 · 2·B·H·T²·D
///   causal: only half of the T² (query, key) pairs are visible      : × 1/2
///   total = 7·B·H·T²·D = 7 · 1 · 8 · 512² · 64 = 939,524,096
/// Same-FLOP GEMMs: 2 × (2·M·N·K) with M = 896, N = 512, K = 512 = 4 · 896 · 512 · 512 = 939,524,096.
/// Requirement: AttentionForwardBackward ≤ 2 × SameFlopGemms. Results: bench/results/cpu-attention.md.
/// </summary>
[SimpleJob(warmupCount: 3, iterationCount: 15)]
[MinColumn, MedianColumn]
public unsafe class AttentionBench
{
    private const int B = 1, H = 8, T = 512, D = 64;
    private const int M = 896, N = 512, K = 512;

    public static double AttentionFlops => 7.0 * B * H * T * T * D;
    public static double GemmFlops => 2 * 2.0 * M * N * K;

    private Tensor _q = null!, _k = null!, _v = null!, _dO = null!, _o = null!, _lse = null!;
    private Tensor _a = null!, _b = null!, _c = null!;
    private readonly double _scale = 1 / Math.Sqrt(D);

    [GlobalSetup]
    public void Setup()
    {
        if (Math.Abs(AttentionFlops - GemmFlops) > 0.5) throw new InvalidOperationException("GEMM baseline FLOPs must equal the attention's.");
        _q = Tensor.RandN([B, H, T, D], 1); _k = Tensor.RandN([B, H, T, D], 2); _v = Tensor.RandN([B, H, T, D], 3);
        _dO = Tensor.RandN([B, H, T, D], 4);
        (_o, _lse) = Backend.Cpu.AttentionForward(_q, _k, _v, null, true, _scale);
        _a = Tensor.RandN([M, K], 5); _b = Tensor.RandN([K, N], 6); _c = Tensor.Zeros([M, N]);
    }

    [Benchmark(Baseline = true, Description = "2 GEMMs 896x512x512 (same FLOPs)")]
    public void SameFlopGemms()
    {
        Gemm.Sgemm(false, false, M, N, K, 1f, _a.Ptr<float>(), K, _b.Ptr<float>(), N, 0f, _c.Ptr<float>(), N);
        Gemm.Sgemm(false, false, M, N, K, 1f, _a.Ptr<float>(), K, _b.Ptr<float>(), N, 0f, _c.Ptr<float>(), N);
    }

    [Benchmark(Description = "attention forward")]
    public Tensor AttentionForward() => Backend.Cpu.AttentionForward(_q, _k, _v, null, true, _scale).o;

    [Benchmark(Description = "attention backward")]
    public Tensor AttentionBackward() => Backend.Cpu.AttentionBackward(_q, _k, _v, _o, _lse, _dO, null, true, _scale).dq;

    [Benchmark(Description = "attention forward+backward")]
    public Tensor AttentionForwardBackward()
    {
        var (o, lse) = Backend.Cpu.AttentionForward(_q, _k, _v, null, true, _scale);
        return Backend.Cpu.AttentionBackward(_q, _k, _v, o, lse, _dO, null, true, _scale).dq;
    }
}
