using Engine.Runtime.Cpu;

namespace Engine.Runtime.Cuda;

/// <summary>
/// cuBLASLt matmul (f32, bf16→f32, bf16→bf16, bias epilogue, strided batch) against the CPU GEMM, and the stream
/// plumbing: a captured graph's replay equals the direct launches, and work ordered across two streams by an event
/// sees the first stream's result.
/// </summary>
public static unsafe partial class CudaParitySuite
{
    private static void LtAndStreamRows(CudaDevice dev, ulong seed, List<Row> rows)
    {
        using (var lt = CudaBlasLt.TryCreate(dev, out _))
            if (lt is not null) LtRows(dev, lt, seed, rows);
        StreamRows(dev, seed, rows);
    }

    private static void LtRows(CudaDevice dev, CudaBlasLt lt, ulong seed, List<Row> rows)
    {
        foreach (var (m, n, k) in new[] { (1, 1, 1), (67, 35, 129), (256, 512, 320) })
            foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
            {
                var a = Tensor.RandN([ta ? k : m, ta ? m : k], seed + 31);
                var b = Tensor.RandN([tb ? n : k, tb ? k : n], seed + 32);
                var bias = Tensor.RandN([n], seed + 33).ToArray<float>();
                int lda = a.Size(1), ldb = b.Size(1);
                string shape = $"{m}x{n}x{k}{(ta ? " Aᵀ" : "")}{(tb ? " Bᵀ" : "")}";
                var want = ExactGemm(ta, tb, m, n, k, a.ToArray<float>(), b.ToArray<float>());
                var wantBias = want.Select((v, i) => v + bias[i % n]).ToArray();
                using (var da = CudaBuffer<float>.From(dev, a.AsSpan<float>()))
                using (var db = CudaBuffer<float>.From(dev, b.AsSpan<float>()))
                using (var dbias = CudaBuffer<float>.From(dev, bias))
                using (var dc = new CudaBuffer<float>(dev, (long)m * n))
                {
                    lt.Matmul(ta, tb, m, n, k, 1f, da.Address, lda, db.Address, ldb, 0f, dc.Address, n, DType.F32, DType.F32);
                    rows.Add(new Row("matmul.f32 (cuBLASLt)", shape, RelError(want, dc.ToArray()), 1e-5));
                    lt.Matmul(ta, tb, m, n, k, 1f, da.Address, lda, db.Address, ldb, 0f, dc.Address, n, DType.F32, DType.F32, bias: dbias.Address);
                    rows.Add(new Row("matmul.f32+bias (cuBLASLt)", shape, RelError(wantBias, dc.ToArray()), 1e-5));
                }
                var ab = a.To(DType.BF16); var bb = b.To(DType.BF16);
                var a32 = ab.To(DType.F32); var b32 = bb.To(DType.F32);
                var wantBf = ExactGemm(ta, tb, m, n, k, a32.ToArray<float>(), b32.ToArray<float>());
                using (var da = CudaBuffer<ushort>.From(dev, ab.AsSpan<ushort>()))
                using (var db = CudaBuffer<ushort>.From(dev, bb.AsSpan<ushort>()))
                using (var dc = new CudaBuffer<float>(dev, (long)m * n))
                using (var dh = new CudaBuffer<ushort>(dev, (long)m * n))
                {
                    lt.Matmul(ta, tb, m, n, k, 1f, da.Address, lda, db.Address, ldb, 0f, dc.Address, n, DType.BF16, DType.F32);
                    rows.Add(new Row("matmul.bf16→f32 (cuBLASLt)", shape, RelError(wantBf, dc.ToArray()), 1e-2));
                    lt.Matmul(ta, tb, m, n, k, 1f, da.Address, lda, db.Address, ldb, 0f, dh.Address, n, DType.BF16, DType.BF16);
                    var got = new float[m * n];
                    DTypeConvert.Bf16ToFloat(dh.ToArray(), got);
                    rows.Add(new Row("matmul.bf16→bf16 (cuBLASLt)", shape, RelError(wantBf, got), 1e-2));
                }
            }
        // Strided batch: [3, 33, 17] × [3, 17, 29].
        {
            int batch = 3, m = 33, k = 17, n = 29;
            var a = Tensor.RandN([batch, m, k], seed + 34); var b = Tensor.RandN([batch, k, n], seed + 35);
            var (av, bv) = (a.ToArray<float>(), b.ToArray<float>());
            var want = Enumerable.Range(0, batch).SelectMany(i => ExactGemm(false, false, m, n, k, av[(i * m * k)..((i + 1) * m * k)], bv[(i * k * n)..((i + 1) * k * n)])).ToArray();
            using var da = CudaBuffer<float>.From(dev, a.AsSpan<float>());
            using var db = CudaBuffer<float>.From(dev, b.AsSpan<float>());
            using var dc = new CudaBuffer<float>(dev, (long)batch * m * n);
            lt.Matmul(false, false, m, n, k, 1f, da.Address, k, db.Address, n, 0f, dc.Address, n, DType.F32, DType.F32,
                batch: batch, strideA: (long)m * k, strideB: (long)k * n, strideC: (long)m * n);
            rows.Add(new Row("matmul.f32 batched (cuBLASLt)", $"{batch}x{m}x{n}x{k}", RelError(want, dc.ToArray()), 1e-5));
        }
    }

    /// <summary>Row-major op(A)·op(B) accumulated in double: the exact product the f32 tolerance is measured against
    /// (an f32-accumulated reference would itself be off by ~1e-5 relative at K in the hundreds).</summary>
    private static float[] ExactGemm(bool ta, bool tb, int m, int n, int k, float[] a, float[] b)
    {
        var c = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double)a[ta ? p * m + i : i * k + p] * b[tb ? j * k + p : p * n + j];
                c[i * n + j] = (float)s;
            }
        return c;
    }

    private static void StreamRows(CudaDevice dev, ulong seed, List<Row> rows)
    {
        int n = 4099;
        var x = Tensor.RandN([n], seed + 41).ToArray<float>();
        var y = Tensor.RandN([n], seed + 42).ToArray<float>();
        var want = new float[n];
        for (int i = 0; i < n; i++) want[i] = (x[i] + y[i]) * y[i];

        // Graph: capture t = x + y; out = t * y on a side stream, replay twice (second after changing nothing).
        using (var s = CudaStream.Create(dev))
        {
            using var dx = CudaBuffer<float>.From(dev, x);
            using var dy = CudaBuffer<float>.From(dev, y);
            using var dout = new CudaBuffer<float>(dev, n);
            CudaBuffer<float>? t = null;
            dev.Synchronize(); // the output's poison was queued on the default stream; the graph runs on s
            using (var g = CudaGraph.Capture(s, () =>
            {
                t = new CudaBuffer<float>(dev, n, poison: false);
                dev.Launch1D("elementwise.cu", "binary_f32", n, (int)BinaryOp.Add, dx.Ptr, dy.Ptr, t.Ptr, (long)n);
                dev.Launch1D("elementwise.cu", "binary_f32", n, (int)BinaryOp.Mul, t.Ptr, dy.Ptr, dout.Ptr, (long)n);
                t.Dispose(); // freed inside the capture: the graph keeps the block
            }))
            {
                g.Launch();
                g.Launch();
                s.Synchronize();
                rows.Add(new Row("graph.capture+replay", $"[{n}] 2 kernels", RelError(want, dout.ToArray()), 1e-6));
            }
        }

        // Two streams ordered by an event: s2 consumes what s1 produced.
        using (var s1 = CudaStream.Create(dev))
        using (var s2 = CudaStream.Create(dev))
        {
            using var dx = CudaBuffer<float>.From(dev, x);
            using var dy = CudaBuffer<float>.From(dev, y);
            using var dt = new CudaBuffer<float>(dev, n);
            using var dout = new CudaBuffer<float>(dev, n);
            dev.Synchronize(); // buffers were poisoned on the default stream
            dev.Launch1D(s1, "elementwise.cu", "binary_f32", n, (int)BinaryOp.Add, dx.Ptr, dy.Ptr, dt.Ptr, (long)n);
            using var done = s1.Record();
            s2.Wait(done);
            dev.Launch1D(s2, "elementwise.cu", "binary_f32", n, (int)BinaryOp.Mul, dt.Ptr, dy.Ptr, dout.Ptr, (long)n);
            s2.Synchronize();
            rows.Add(new Row("streams.event-ordered", $"[{n}] 2 streams", RelError(want, dout.ToArray()) + (done.IsCompleted ? 0 : 1), 1e-6));
        }
    }
}
