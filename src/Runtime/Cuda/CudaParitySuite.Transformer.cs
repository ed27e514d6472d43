namespace Engine.Runtime.Cuda;

/// <summary>The Transformer-forward kernels through CudaBackend against the CPU backend on the same inputs.</summary>
public static partial class CudaParitySuite
{
    private static void TransformerOps(ulong seed, List<Row> rows, int ordinal)
    {
        var cpu = Backend.Cpu;
        var gpu = CudaBackend.Get(ordinal);
        var dev = Device.Cuda(ordinal);
        Tensor G(Tensor t) => t.To(dev);
        float[] H(Tensor t) => t.To(Device.Cpu).ToArray<float>();

        // Strided copy: a transposed view made dense on the device.
        var x = Tensor.RandN([2, 3, 5, 7], seed + 31);
        var xt = x.Transpose(1, 2);
        var dense = Tensor.Empty(xt.Shape, DType.F32, dev);
        G(x).Transpose(1, 2).CopyTo(dense);
        rows.Add(new Row("copy.strided", xt.ShapeString, RelError(xt.Contiguous().ToArray<float>(), H(dense)), 0));

        // Embedding gather.
        var w = Tensor.RandN([37, 24], seed + 32);
        var ids = Tensor.FromArray(new long[] { 0, 36, 5, 5, 17, 2 }, 2, 3);
        rows.Add(new Row("embedding.fwd", "[37, 24] ← [2, 3]", RelError(cpu.Embedding(w, ids).ToArray<float>(), H(gpu.Embedding(G(w), G(ids)))), 0));

        // SwiGLU.
        var g = Tensor.RandN([5, 333], seed + 33); var u = Tensor.RandN([5, 333], seed + 34);
        rows.Add(new Row("swiglu.fwd", "[5, 333]", RelError(cpu.SwiGlu(g, u).ToArray<float>(), H(gpu.SwiGlu(G(g), G(u)))), 1e-5));

        // RoPE on a strided [B, H, T, D] view (as the model makes it), forward and transposed, full and partial rotary.
        var qBase = Tensor.RandN([2, 7, 3, 16], seed + 35);
        var qv = qBase.Transpose(1, 2); // [B, H=3, T=7, D=16], strided as the model makes it
        var qvGpu = G(qBase).Transpose(1, 2);
        foreach (var r in new[] { 16, 8 })
        {
            var cos = Tensor.RandN([2, 7, r], seed + 36); var sin = Tensor.RandN([2, 7, r], seed + 37);
            foreach (var tr in new[] { false, true })
                rows.Add(new Row($"rope.{(tr ? "bwd" : "fwd")} R={r}", qv.ShapeString,
                    RelError(cpu.Rope(qv, cos, sin, tr).ToArray<float>(), H(gpu.Rope(qvGpu, G(cos), G(sin), tr))), 1e-5));
        }

        // Attention forward: GQA, causal with Tq < Tk (decode-like), padding mask.
        foreach (var (tq, tk) in new[] { (9, 9), (3, 1100) })
        {
            var q = Tensor.RandN([2, 4, tq, 32], seed + 38);
            var k = Tensor.RandN([2, 2, tk, 32], seed + 39);
            var v = Tensor.RandN([2, 2, tk, 32], seed + 40);
            var maskVals = new long[2 * tk];
            for (int i = 0; i < maskVals.Length; i++) maskVals[i] = i % tk < 2 && i >= tk ? 0 : 1; // row 1's first two keys padded
            var mask = Tensor.FromArray(maskVals, 2, tk);
            var (oc, lc) = cpu.AttentionForward(q, k, v, mask, true, 1 / Math.Sqrt(32));
            var (og, lg) = gpu.AttentionForward(G(q), G(k), G(v), G(mask), true, 1 / Math.Sqrt(32));
            rows.Add(new Row("attention.fwd (GQA, causal, mask)", $"q[2,4,{tq},32] k[2,2,{tk},32]", RelError(oc.ToArray<float>(), H(og)), F32));
            rows.Add(new Row("attention.lse", $"[2,4,{tq}]", RelError(lc.ToArray<float>(), H(lg)), 1e-5));
        }
    }
}
