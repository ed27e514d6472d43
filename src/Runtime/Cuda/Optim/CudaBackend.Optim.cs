using Engine.Runtime.Cuda.Native;

namespace Engine.Runtime.Cuda;

/// <summary>Gradients and the optimizer step on CUDA (f32), twins of the CPU kernels; deterministic (no atomics).</summary>
public sealed unsafe partial class CudaBackend
{
    public Tensor UnaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gy)
    {
        RequireF32(op + "Backward", x, y, gy);
        var gx = Like(x);
        Launch1D("backward.cu", "unary_bwd_f32", x.NumElements, (int)op, P(x), P(y), P(gy), P(gx), x.NumElements);
        return gx;
    }

    public (Tensor dGate, Tensor dUp) SwiGluBackward(Tensor gate, Tensor up, Tensor gy)
    {
        RequireF32("SwiGluBackward", gate, up, gy);
        var dg = Like(gate); var du = Like(up);
        Launch1D("backward.cu", "swiglu_bwd_f32", gate.NumElements, P(gate), P(up), P(gy), P(dg), P(du), gate.NumElements);
        return (dg, du);
    }

    public Tensor EmbeddingBackward(Tensor gy, Tensor ids, int vocab)
    {
        RequireF32("EmbeddingBackward", gy);
        if (ids.DType != DType.I64) throw Missing("EmbeddingBackward", "ids must be I64 on CUDA");
        int dim = gy.Size(-1);
        var dw = Tensor.Zeros([vocab, dim], DType.F32, gy.Device);
        Launch1D("backward.cu", "embedding_bwd_f32", dim, P(gy), P(ids), P(dw), ids.NumElements, dim);
        return dw;
    }

    public double SumOfSquares(Tensor x)
    {
        RequireF32("SumOfSquares", x);
        const int blocks = 256;
        var partial = New([blocks], DType.F32);
        Device.Launch("backward.cu", "sum_squares_partial_f32", blocks, 1, 1, 256, 1, 1, 0, P(x), P(partial), x.NumElements);
        double s = 0;
        foreach (var v in partial.To(Runtime.Device.Cpu).ToArray<float>()) s += v; // fixed order: deterministic
        return s;
    }

    public void ScaleInPlace(Tensor x, double factor)
    {
        RequireF32("ScaleInPlace", x);
        Launch1D("backward.cu", "scale_inplace_f32", x.NumElements, P(x), (float)factor, x.NumElements);
    }

    public void AdamWStep(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps, double weightDecay, long step)
    {
        RequireF32("AdamWStep", param, grad, m, v);
        var a = AdamWScalars(lr, beta1, beta2, eps, weightDecay, step);
        Launch1D("backward.cu", "adamw_f32", param.NumElements, [P(param), P(grad), P(m), P(v), param.NumElements, .. a]);
    }

    /// <summary>Elements per block of the multi-tensor AdamW launch.</summary>
    private const long AdamWChunk = 65_536;

    public void AdamWStepMany(IReadOnlyList<AdamWTensors> groups, double lr, double beta1, double beta2, double eps, double weightDecay, long step)
    {
        if (groups.Count == 0) return;
        foreach (var t in groups)
        {
            RequireF32("AdamWStep", t.Param, t.Grad, t.M, t.V);
            if (!t.Param.IsContiguous || !t.Grad.IsContiguous || !t.M.IsContiguous || !t.V.IsContiguous)
                throw new ArgumentException($"AdamWStepMany: every tensor must be contiguous ({t.Param.ShapeString}).");
        }
        // One table for the whole step: 4 addresses and a size per tensor, then (tensor, first element) per block.
        int n = groups.Count;
        var meta = new List<long>(5 * n + 64);
        foreach (var t in groups) meta.AddRange([(long)Addr(t.Param), (long)Addr(t.Grad), (long)Addr(t.M), (long)Addr(t.V)]);
        foreach (var t in groups) meta.Add(t.Param.NumElements);
        long blocks = 0;
        for (int i = 0; i < n; i++)
            for (long first = 0; first < groups[i].Param.NumElements; first += AdamWChunk) { meta.Add(i); meta.Add(first); blocks++; }
        if (blocks == 0) return;
        if (blocks > int.MaxValue) throw new ArgumentException($"AdamWStepMany: {blocks} blocks is too many for one launch.");
        using var table = CudaBuffer<long>.From(Device, meta.ToArray());
        var a = AdamWScalars(lr, beta1, beta2, eps, weightDecay, step);
        Device.Launch("backward.cu", "adamw_multi_f32", (uint)blocks, 1, 1, 256, 1, 1, 0, [table.Ptr, n, AdamWChunk, .. a]);
    }

    // Scalars prepared exactly as the CPU kernel prepares them (f64, then rounded to f32).
    private static object[] AdamWScalars(double lr, double beta1, double beta2, double eps, double weightDecay, long step)
    {
        double bc1 = 1 - Math.Pow(beta1, step), bc2 = 1 - Math.Pow(beta2, step);
        float w1 = (float)(1 - beta1);
        return [(float)(1 - lr * weightDecay), w1, 1f - w1, Math.Abs(1 - beta1) < 0.5 ? 1 : 0, (float)beta2, (float)(1 - beta2),
            (float)(lr / bc1), (float)Math.Sqrt(bc2), (float)eps, weightDecay != 0 ? 1 : 0];
    }

    private static long[] Pad4(ReadOnlySpan<int> shape)
    {
        var n = new long[] { 1, 1, 1, 1 };
        for (int i = 0; i < shape.Length; i++) n[4 - shape.Length + i] = shape[i];
        return n;
    }

    public Tensor Sum(Tensor x, int[] dims, bool keepDim)
    {
        RequireF32("Sum", x);
        if (x.Rank > 4) throw Missing("Sum", $"rank {x.Rank} > 4");
        var n = Pad4(x.Shape);
        var r = new int[4];
        foreach (var d in dims) r[4 - x.Rank + d] = 1;
        var kept = x.ShapeArray();
        foreach (var d in dims) kept[d] = 1;
        var y = New(kept, DType.F32);
        Launch1D("backward.cu", "sum_dims_f32", Math.Max(1, y.NumElements), P(x), P(y), n[0], n[1], n[2], n[3], r[0], r[1], r[2], r[3]);
        return keepDim ? y : y.Reshape(x.ShapeArray().Where((_, i) => !dims.Contains(i)).ToArray());
    }

    public Tensor BroadcastTo(Tensor x, int[] shape)
    {
        RequireF32("BroadcastTo", x);
        if (shape.Length > 4 || x.Rank != shape.Length) throw Missing("BroadcastTo", $"{x.ShapeString} → [{string.Join(", ", shape)}]");
        var n = Pad4(shape); var k = Pad4(x.Shape);
        var y = New(shape, DType.F32);
        Launch1D("backward.cu", "broadcast_f32", y.NumElements, P(x), P(y), n[0], n[1], n[2], n[3], k[0], k[1], k[2], k[3]);
        return y;
    }
}
