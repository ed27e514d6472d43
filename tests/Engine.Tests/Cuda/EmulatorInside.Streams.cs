using Engine.Runtime;
using Engine.Runtime.Cuda;
using Engine.Runtime.Cuda.Native;

namespace Engine.Tests.Cuda;

/// <summary>
/// Streams, events, graphs, the stream-ordered pool and cuBLASLt inside the emulated engine (see
/// <see cref="CudaEmulator"/>). References are plain loops here; results are returned as framework types.
/// </summary>
public static unsafe partial class EmulatorInside
{
    private static float[] Rand(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 4 - 2)).ToArray();
    }

    private static void Upload(CudaBuffer<float> dst, float[] src)
    {
        fixed (float* p = src) CudaDriver.Check(CudaDriver.cuMemcpyHtoD(dst.Address, p, (nuint)(src.Length * 4)), "cuMemcpyHtoD");
    }

    private static double MaxAbsDiff(float[] want, float[] got) => want.Zip(got, (w, g) => float.IsFinite(g) ? Math.Abs((double)w - g) : double.PositiveInfinity).Max();

    /// <summary>[max error of out = (x+y)·y computed on s1 then s2 ordered by an event, event completed (1/0), elapsed ms of timing events].</summary>
    public static double[] StreamsEventOrdering(string lib)
    {
        var dev = Device0(lib);
        int n = 3001;
        var x = Rand(n, 1); var y = Rand(n, 2);
        using var s1 = CudaStream.Create(dev);
        using var s2 = CudaStream.Create(dev);
        using var dx = CudaBuffer<float>.From(dev, x);
        using var dy = CudaBuffer<float>.From(dev, y);
        using var dt = new CudaBuffer<float>(dev, n);
        using var dout = new CudaBuffer<float>(dev, n);
        dev.Synchronize();
        using var start = CudaEvent.Create(dev, timing: true);
        using var end = CudaEvent.Create(dev, timing: true);
        start.Record(s1);
        ElementwiseKernels.BinaryF32(s1, Grid.Elements(n), (int)BinaryOp.Add, dx.Ptr, dy.Ptr, dt.Ptr, n);
        using var produced = s1.Record();
        s2.Wait(produced);
        ElementwiseKernels.BinaryF32(s2, Grid.Elements(n), (int)BinaryOp.Mul, dt.Ptr, dy.Ptr, dout.Ptr, n);
        end.Record(s2);
        end.Synchronize();
        var want = x.Zip(y, (a, b) => (a + b) * b).ToArray();
        return [MaxAbsDiff(want, dout.ToArray()), produced.IsCompleted && s1.IsIdle() && s2.IsIdle() ? 1 : 0, CudaEvent.ElapsedMs(start, end)];
    }

    /// <summary>
    /// Capture t = x + y; out = t·y (t allocated and freed inside the capture) on a side stream, then:
    /// [out untouched before the first replay (all NaN poison) 1/0, error after replay 1, error after changing x and
    /// replaying again, reserved bytes, pool cached bytes gained when the graph is disposed].
    /// </summary>
    public static double[] GraphReplay(string lib)
    {
        var dev = Device0(lib);
        int n = 2053;
        var x = Rand(n, 3); var y = Rand(n, 4); var x2 = Rand(n, 5);
        using var s = CudaStream.Create(dev);
        using var dx = CudaBuffer<float>.From(dev, x);
        using var dy = CudaBuffer<float>.From(dev, y);
        using var dout = new CudaBuffer<float>(dev, n);
        dev.Synchronize();
        var g = CudaGraph.Capture(s, () =>
        {
            using var t = new CudaBuffer<float>(dev, n, poison: false);
            ElementwiseKernels.BinaryF32(dev.CurrentStream, Grid.Elements(n), (int)BinaryOp.Add, dx.Ptr, dy.Ptr, t.Ptr, n);
            ElementwiseKernels.BinaryF32(dev.CurrentStream, Grid.Elements(n), (int)BinaryOp.Mul, t.Ptr, dy.Ptr, dout.Ptr, n);
        });
        bool untouched = dout.ToArray().All(float.IsNaN);
        g.Launch();
        s.Synchronize();
        double e1 = MaxAbsDiff(x.Zip(y, (a, b) => (a + b) * b).ToArray(), dout.ToArray());
        Upload(dx, x2);
        g.Launch();
        s.Synchronize();
        double e2 = MaxAbsDiff(x2.Zip(y, (a, b) => (a + b) * b).ToArray(), dout.ToArray());
        long reserved = g.ReservedBytes, cached = dev.Memory.Cached;
        g.Dispose();
        return [untouched ? 1 : 0, e1, e2, reserved, dev.Memory.Cached - cached];
    }

    /// <summary>A cuBLASLt matmul captured into a graph and replayed after its input changed: max error vs a plain loop.</summary>
    public static double GraphWithMatmul(string lib)
    {
        var dev = Device0(lib);
        int m = 5, n = 19, k = 33;
        var a1 = Rand(m * k, 6); var a2 = Rand(m * k, 7); var b = Rand(k * n, 8);
        using var lt = CudaBlasLt.TryCreate(dev, out var why) ?? throw new InvalidOperationException(why);
        using var s = CudaStream.Create(dev);
        using var da = CudaBuffer<float>.From(dev, a1);
        using var db = CudaBuffer<float>.From(dev, b);
        using var dc = new CudaBuffer<float>(dev, m * n);
        dev.Synchronize();
        using (var g = CudaGraph.Capture(s, () => lt.Matmul(false, false, m, n, k, 1f, da.Address, k, db.Address, n, 0f, dc.Address, n, DType.F32, DType.F32)))
        {
            Upload(da, a2);
            g.Launch();
            s.Synchronize();
        }
        var want = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double acc = 0;
                for (int p = 0; p < k; p++) acc += (double)a2[i * k + p] * b[p * n + j];
                want[i * n + j] = (float)acc;
            }
        return MaxAbsDiff(want, dc.ToArray());
    }

    /// <summary>
    /// cuBLASLt D[batch][m×n] = op(A)·op(B) (+ bias[n]) for row-major operands against a plain double loop:
    /// [max |error| / max |reference|, plan cache hit on the second call (1/0)].
    /// </summary>
    public static double[] BlasLt(string lib, int m, int n, int k, bool ta, bool tb, string abType, string cType, bool withBias, int batch)
    {
        var dev = Device0(lib);
        var ab = Enum.Parse<DType>(abType); var ct = Enum.Parse<DType>(cType);
        using var lt = CudaBlasLt.TryCreate(dev, out var why) ?? throw new InvalidOperationException(why);
        var a = Rand(batch * m * k, 11); var b = Rand(batch * k * n, 12); var bias = Rand(n, 13);
        float Round(float v) => ab == DType.BF16 ? DTypeConvert.Bf16ToFloat(DTypeConvert.FloatToBf16(v)) : v;
        a = a.Select(Round).ToArray(); b = b.Select(Round).ToArray();
        if (ct == DType.BF16) bias = bias.Select(v => DTypeConvert.Bf16ToFloat(DTypeConvert.FloatToBf16(v))).ToArray();
        ulong Up(float[] v, DType t, List<IDisposable> keep)
        {
            if (t == DType.F32) { var d = CudaBuffer<float>.From(dev, v); keep.Add(d); return d.Address; }
            var h = v.Select(DTypeConvert.FloatToBf16).ToArray();
            var db = CudaBuffer<ushort>.From(dev, h); keep.Add(db); return db.Address;
        }
        var keep = new List<IDisposable>();
        try
        {
            ulong pa = Up(a, ab, keep), pb = Up(b, ab, keep), pbias = withBias ? Up(bias, ct, keep) : 0;
            int lda = ta ? m : k, ldb = tb ? k : n;
            float[] got;
            if (ct == DType.F32)
            {
                var dc = new CudaBuffer<float>(dev, (long)batch * m * n); keep.Add(dc);
                lt.Matmul(ta, tb, m, n, k, 1f, pa, lda, pb, ldb, 0f, dc.Address, n, ab, ct, pbias, batch, (long)m * k, (long)k * n, (long)m * n);
                got = dc.ToArray();
            }
            else
            {
                var dc = new CudaBuffer<ushort>(dev, (long)batch * m * n); keep.Add(dc);
                lt.Matmul(ta, tb, m, n, k, 1f, pa, lda, pb, ldb, 0f, dc.Address, n, ab, ct, pbias, batch, (long)m * k, (long)k * n, (long)m * n);
                got = dc.ToArray().Select(DTypeConvert.Bf16ToFloat).ToArray();
            }
            var want = new float[batch * m * n];
            for (int q = 0; q < batch; q++)
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        double acc = withBias ? bias[j] : 0;
                        for (int p = 0; p < k; p++)
                            acc += (double)a[q * m * k + (ta ? p * m + i : i * k + p)] * b[q * k * n + (tb ? j * k + p : p * n + j)];
                        want[(q * m + i) * n + j] = (float)acc;
                    }
            double scale = want.Max(v => Math.Abs((double)v));
            return [MaxAbsDiff(want, got) / scale];
        }
        finally { foreach (var d in keep) d.Dispose(); }
    }

    /// <summary>The GEMM path CudaBackend.MatMul takes for bf16, after one bf16 matmul through the backend: [path, max error].</summary>
    public static string[] BackendBf16MatMul(string lib)
    {
        Device0(lib);
        var a = Tensor.RandN([3, 7, 12], 21).To(DType.BF16);
        var b = Tensor.RandN([12, 9], 22).To(DType.BF16);
        var y = Ops.MatMul(a.To(Device.Cuda(0)), b.To(Device.Cuda(0))).To(Device.Cpu).To(DType.F32).ToArray<float>();
        var af = a.To(DType.F32).ToArray<float>(); var bf = b.To(DType.F32).ToArray<float>();
        double worst = 0;
        for (int r = 0; r < 21; r++)
            for (int j = 0; j < 9; j++)
            {
                double acc = 0;
                for (int p = 0; p < 12; p++) acc += (double)af[r * 12 + p] * bf[p * 9 + j];
                worst = Math.Max(worst, Math.Abs(acc - y[r * 9 + j]) / Math.Max(Math.Abs(acc), 1e-2));
            }
        return [CudaBackend.Get(0).GemmPath, worst.ToString("R")];
    }

    /// <summary>
    /// Through the real driver calls, on the device's pool (odd size classes no other test uses): [a block freed on s1 is
    /// handed to s2 once s1 is idle (1/0), cross-stream reuses, driver allocations, a block freed on a stream that is then
    /// disposed is handed to s1 (1/0)] — counters as deltas.
    /// </summary>
    public static double[] PoolCrossStream(string lib)
    {
        var dev = Device0(lib);
        var pool = dev.Memory;
        long reuses0 = pool.CrossStreamReuses, allocs0 = pool.DriverAllocations;
        using var s1 = CudaStream.Create(dev);
        using var s2 = CudaStream.Create(dev);
        var (a, size) = pool.Allocate(777_000, s1.Handle);
        pool.Free(a, size, s1.Handle);
        s1.Synchronize();                                   // the free-time event has completed
        var (b, sb) = pool.Allocate(777_100, s2.Handle);    // same size class (777,216)
        pool.Free(b, sb, s2.Handle);
        ulong c;
        using (var s3 = CudaStream.Create(dev))
        {
            (c, var sc) = pool.Allocate(654_321, s3.Handle);
            pool.Free(c, sc, s3.Handle);
        }                                                   // s3 disposed: c is idle, nobody's
        var (d, sd) = pool.Allocate(654_000, s1.Handle);
        pool.Free(d, sd, s1.Handle);
        return [a == b ? 1 : 0, pool.CrossStreamReuses - reuses0, pool.DriverAllocations - allocs0, c == d ? 1 : 0];
    }

    /// <summary>engine bench cuda's code path with tiny shapes: its lines as text.</summary>
    public static string[] PlumbingBench(string lib) => CudaPlumbingBench.Run(Device0(lib), repeats: 2, quick: true).Select(l => l.ToString()).ToArray();

    /// <summary>
    /// Failing captures: a body that throws, and one that synchronizes (illegal while capturing). Returns
    /// [messages of the two exceptions..., "ok" when the stream still computes correctly afterwards and the pool got the
    /// block the failed capture had reserved back].
    /// </summary>
    public static string[] FailedCaptures(string lib)
    {
        var dev = Device0(lib);
        int n = 777;
        using var s = CudaStream.Create(dev);
        var msgs = new List<string>();
        ulong reservedAddress = 0;
        try
        {
            CudaGraph.Capture(s, () =>
            {
                var t = new CudaBuffer<float>(dev, n, poison: false);
                reservedAddress = t.Address;
                t.Dispose();                       // reserved for the graph that will never exist
                throw new InvalidOperationException("body failed on purpose");
            });
        }
        catch (InvalidOperationException e) { msgs.Add(e.Message); }
        var (again, againSize) = dev.Memory.Allocate(n * 4, s.Handle); // back in the pool as freed on s: rule 1 hands it out
        dev.Memory.Free(again, againSize, s.Handle);
        try { CudaGraph.Capture(s, dev.Synchronize); }
        catch (CudaException e) { msgs.Add(e.Message); }
        var x = Rand(n, 9);
        using var dx = CudaBuffer<float>.From(dev, x);
        using var dy = new CudaBuffer<float>(dev, n);
        dev.Synchronize();
        ElementwiseKernels.UnaryF32(s, Grid.Elements(n), (int)UnaryOp.Neg, dx.Ptr, dy.Ptr, n);
        s.Synchronize();
        bool ok = MaxAbsDiff(x.Select(v => -v).ToArray(), dy.ToArray()) == 0 && again == reservedAddress;
        msgs.Add(ok ? "ok" : $"not ok: reserved 0x{reservedAddress:x}, reallocated 0x{again:x}");
        return msgs.ToArray();
    }

    /// <summary>Host readback of a cuda tensor as doubles (ToDoubleArray, Item): [max |diff| vs the host values, Item of a 1-element tensor, its host value].</summary>
    public static double[] DoubleReadback(string lib)
    {
        Device0(lib);
        var x = Rand(37, 14);
        var d = Tensor.FromArray(x, 37).To(Device.Cuda(0));
        var back = d.ToDoubleArray();
        return [x.Zip(back, (a, b) => Math.Abs(a - b)).Max(), Tensor.FromArray(new[] { x[5] }, 1).To(Device.Cuda(0)).Item(), x[5]];
    }
}
