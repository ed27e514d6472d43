using System.Diagnostics;
using System.Numerics.Tensors;
using Engine.Runtime;
using Engine.Runtime.Cpu;
using Tensor = Engine.Runtime.Tensor;

namespace Engine.Bench;

/// <summary>
/// `attention-profile`: Stopwatch timings of the bench-shape attention (B=1, 8 heads, T=512, D=64, causal, f32) and of
/// its building blocks in isolation (tile GEMMs, exp over a tile, fresh output pages), to see where the time goes.
/// </summary>
internal static unsafe class AttentionProfile
{
    /// <summary>Best of 5 batches: wall ms per call, and process CPU ms per call (robust to other tenants with 1 thread).</summary>
    private static double Best(int reps, Action body) => BestBoth(reps, body).wall;

    private static (double wall, double cpu) BestBoth(int reps, Action body)
    {
        body();
        double best = double.MaxValue, bestCpu = double.MaxValue;
        for (int r = 0; r < 5; r++)
        {
            double c0 = CpuClock.ProcessSeconds();
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++) body();
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds / reps);
            bestCpu = Math.Min(bestCpu, (CpuClock.ProcessSeconds() - c0) * 1e3 / reps);
        }
        return (best, bestCpu);
    }

    public static int Run()
    {
        const int B = 1, H = 8, T = 512, D = 64, M = 896, N = 512, K = 512;
        var q = Tensor.RandN([B, H, T, D], 1); var k = Tensor.RandN([B, H, T, D], 2); var v = Tensor.RandN([B, H, T, D], 3);
        var dO = Tensor.RandN([B, H, T, D], 4);
        double scale = 1 / Math.Sqrt(D);
        var (o, lse) = Backend.Cpu.AttentionForward(q, k, v, null, true, scale);
        var a = Tensor.RandN([M, K], 5); var b = Tensor.RandN([K, N], 6); var c = Tensor.Zeros([M, N]);
        var (gemm, gemmCpu) = BestBoth(20, () =>
        {
            Gemm.Sgemm(false, false, M, N, K, 1f, a.Ptr<float>(), K, b.Ptr<float>(), N, 0f, c.Ptr<float>(), N);
            Gemm.Sgemm(false, false, M, N, K, 1f, a.Ptr<float>(), K, b.Ptr<float>(), N, 0f, c.Ptr<float>(), N);
        });
        var (fwd, fwdCpu) = BestBoth(20, () => Backend.Cpu.AttentionForward(q, k, v, null, true, scale));
        var (bwd, bwdCpu) = BestBoth(10, () => Backend.Cpu.AttentionBackward(q, k, v, o, lse, dO, null, true, scale));
        Console.WriteLine($"threads {CpuThreads.Count}: 2 GEMMs {gemm:F3} ms, fwd {fwd:F3}, bwd {bwd:F3}, fwd+bwd {fwd + bwd:F3}, ratio {(fwd + bwd) / gemm:F3}");
        Console.WriteLine($"  process CPU ms: 2 GEMMs {gemmCpu:F3}, fwd {fwdCpu:F3}, bwd {bwdCpu:F3}, fwd+bwd {fwdCpu + bwdCpu:F3}, ratio {(fwdCpu + bwdCpu) / gemmCpu:F3}");
        if (Environment.GetEnvironmentVariable("PROFILE_BLOCKS") != "1") return 0;

        // Building blocks, one thread.
        var s = Tensor.Zeros([96, 96]); var t2 = Tensor.Zeros([96, 96]);
        float* qp = q.Ptr<float>(), kp = k.Ptr<float>(), vp = v.Ptr<float>(), sp = s.Ptr<float>(), op = t2.Ptr<float>();
        double nt = Best(200, () => Gemm.Run(false, true, 96, 96, 64, 0.125f, qp, 64, kp, 64, 0f, sp, 96, 1));
        double nn = Best(200, () => Gemm.Run(false, false, 96, 64, 96, 1f, sp, 96, vp, 64, 1f, op, 64, 1));
        double tn = Best(200, () => Gemm.Run(true, false, 96, 64, 96, 1f, sp, 96, kp, 64, 1f, op, 64, 1));
        double big = Best(50, () => Gemm.Run(false, true, 96, 480, 64, 0.125f, qp, 64, kp, 64, 0f, c.Ptr<float>(), 480, 1));
        var tile = new Span<float>(sp, 96 * 96);
        TensorPrimitives.Multiply(tile, 0.01f, tile);
        double exp = Best(200, () => { var tl = new Span<float>(sp, 96 * 96); TensorPrimitives.Exp(tl, tl); TensorPrimitives.Multiply(tl, 1e-3f, tl); });
        double rows = Best(200, () =>
        {
            for (int r = 0; r < 96; r++) { var row = new Span<float>(sp + r * 96, 96); var mx = TensorPrimitives.Max<float>(row); TensorPrimitives.Subtract(row, mx, row); TensorPrimitives.Sum<float>(row); }
        });
        double fresh = Best(20, () => { var x = Tensor.Empty([B, H, T, D], DType.F32); new Span<float>(x.Ptr<float>(), B * H * T * D).Clear(); x.Storage.Dispose(); });
        double freshNoDispose = Best(20, () => { var x = Tensor.Empty([B, H, T, D], DType.F32); new Span<float>(x.Ptr<float>(), B * H * T * D).Clear(); });
        Console.WriteLine($"1 thread µs: NT 96x96x64 {nt * 1e3:F1} ({2 * 96 * 96 * 64 / nt / 1e6:F1} GF/s), NN 96x64x96 {nn * 1e3:F1} ({2 * 96 * 96 * 64 / nn / 1e6:F1}), " +
            $"TN 96x64x96 {tn * 1e3:F1} ({2 * 96 * 96 * 64 / tn / 1e6:F1}), NT 96x480x64 {big * 1e3:F1} ({2 * 96 * 480 * 64 / big / 1e6:F1})");
        Console.WriteLine($"1 thread µs: exp+scale 96x96 {exp * 1e3:F1}, row max/sub/sum 96x96 {rows * 1e3:F1}, fresh 1 MiB + clear (disposed) {fresh * 1e3:F1}, (GC'd) {freshNoDispose * 1e3:F1}");
        return 0;
    }
}
