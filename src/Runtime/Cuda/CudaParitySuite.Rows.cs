namespace Engine.Runtime.Cuda;

/// <summary>Row-wise kernels (norm, softmax, cross-entropy, candidate probabilities) against the CPU backend.</summary>
public static partial class CudaParitySuite
{
    private const uint RowBlock = 256;

    private static void RowKernels(CudaDevice dev, ulong seed, List<Row> rows)
    {
        var cpu = Backend.Cpu;
        foreach (var (n, d) in new[] { (3, 37), (17, 1000), (5, 4099) })
        {
            string shape = $"[{n}, {d}]";
            var x = Tensor.RandN([n, d], seed + 11);
            var w = Tensor.RandN([d], seed + 12);
            var gy = Tensor.RandN([n, d], seed + 13);
            using var dx = CudaBuffer<float>.From(dev, x.AsSpan<float>());
            using var dw = CudaBuffer<float>.From(dev, w.AsSpan<float>());
            using var dgy = CudaBuffer<float>.From(dev, gy.AsSpan<float>());

            // RMSNorm forward and both gradients.
            var (y, rstd) = cpu.RmsNorm(x, w, 1e-6);
            var (gx, gw) = cpu.RmsNormBackward(x, w, rstd, gy);
            using (var dy = new CudaBuffer<float>(dev, (long)n * d))
            using (var dr = new CudaBuffer<float>(dev, n))
            using (var dgx = new CudaBuffer<float>(dev, (long)n * d))
            using (var dgw = new CudaBuffer<float>(dev, d))
            {
                dev.Launch("norm.cu", "rmsnorm_fwd_f32", (uint)n, 1, 1, RowBlock, 1, 1, 0, dx.Ptr, dw.Ptr, dy.Ptr, dr.Ptr, d, 1e-6f);
                rows.Add(new Row("rmsnorm.fwd", shape, RelError(y.ToArray<float>(), dy.ToArray()), 1e-5));
                dev.Launch("norm.cu", "rmsnorm_bwd_x_f32", (uint)n, 1, 1, RowBlock, 1, 1, 0, dx.Ptr, dw.Ptr, dr.Ptr, dgy.Ptr, dgx.Ptr, d);
                dev.Launch1D("norm.cu", "rmsnorm_bwd_w_f32", d, dx.Ptr, dr.Ptr, dgy.Ptr, dgw.Ptr, (long)n, d);
                rows.Add(new Row("rmsnorm.bwd.x", shape, RelError(gx.ToArray<float>(), dgx.ToArray()), F32));
                rows.Add(new Row("rmsnorm.bwd.w", shape, RelError(gw.ToArray<float>(), dgw.ToArray()), F32));
            }

            // Softmax and log-softmax, forward and backward.
            foreach (var log in new[] { false, true })
            {
                string name = log ? "log_softmax" : "softmax";
                var sy = cpu.Softmax(x, 1, log);
                var sgx = cpu.SoftmaxBackward(sy, gy, 1, log);
                using var dsy = new CudaBuffer<float>(dev, (long)n * d);
                using var dsg = new CudaBuffer<float>(dev, (long)n * d);
                dev.Launch("softmax.cu", "softmax_fwd_f32", (uint)n, 1, 1, RowBlock, 1, 1, 0, dx.Ptr, dsy.Ptr, d, log ? 1 : 0);
                rows.Add(new Row($"{name}.fwd", shape, RelError(sy.ToArray<float>(), dsy.ToArray()), 1e-5));
                using var dsyRef = CudaBuffer<float>.From(dev, sy.AsSpan<float>());
                dev.Launch("softmax.cu", "softmax_bwd_f32", (uint)n, 1, 1, RowBlock, 1, 1, 0, dsyRef.Ptr, dgy.Ptr, dsg.Ptr, d, log ? 1 : 0);
                rows.Add(new Row($"{name}.bwd", shape, RelError(sgx.ToArray<float>(), dsg.ToArray()), F32));
            }

            // Cross-entropy rows with one ignored row, and its backward.
            var targets = Enumerable.Range(0, n).Select(i => i == 1 ? -100L : (long)((i * 7919 + (int)seed) % d)).ToArray();
            var t = Tensor.FromArray(targets, n);
            var (nll, lse) = cpu.CrossEntropyRows(x, t, -100);
            var rowGrad = Tensor.RandN([n], seed + 14);
            var dl = cpu.CrossEntropyRowsBackward(x, t, lse, rowGrad, -100);
            using (var dt = CudaBuffer<long>.From(dev, targets))
            using (var dn = new CudaBuffer<float>(dev, n))
            using (var dlse = new CudaBuffer<float>(dev, n))
            using (var drg = CudaBuffer<float>.From(dev, rowGrad.AsSpan<float>()))
            using (var ddl = new CudaBuffer<float>(dev, (long)n * d))
            {
                dev.Launch("loss.cu", "cross_entropy_fwd_f32", (uint)n, 1, 1, RowBlock, 1, 1, 0, dx.Ptr, dt.Ptr, dn.Ptr, dlse.Ptr, d, -100L, 1);
                rows.Add(new Row("cross_entropy.fwd", shape, RelError(nll.ToArray<float>(), dn.ToArray()), 1e-5));
                dev.Launch("loss.cu", "cross_entropy_bwd_f32", (uint)n, 1, 1, RowBlock, 1, 1, 0, dx.Ptr, dt.Ptr, dlse.Ptr, drg.Ptr, ddl.Ptr, d, -100L, 1);
                rows.Add(new Row("cross_entropy.bwd", shape, RelError(dl.ToArray<float>(), ddl.ToArray()), 1e-5));
            }

            // Candidate-token probabilities (SelectIT).
            int[] cand = [0, d / 3, d / 2, d - 1];
            var probs = cpu.CandidateProbs(x, cand);
            using (var dc = CudaBuffer<int>.From(dev, cand))
            using (var dp = new CudaBuffer<float>(dev, (long)n * cand.Length))
            {
                dev.Launch("loss.cu", "candidate_probs_f32", (uint)n, 1, 1, RowBlock, 1, 1, 0, dx.Ptr, dc.Ptr, dp.Ptr, d, cand.Length);
                rows.Add(new Row("candidate_probs", shape, RelError(probs.ToArray<float>(), dp.ToArray()), 1e-5));
            }
        }
    }
}
