namespace Engine.Runtime.Cuda;

/// <summary>
/// The bf16 (autocast) path on the GPU against the CPU: MixedMatMul (cuBLAS bf16 operands, f32 accumulation and result),
/// an autocast Linear forward and backward through Ops, and the bf16 embedding gather (exact).
/// </summary>
public static partial class CudaParitySuite
{
    private static void MixedPrecisionRows(ulong seed, List<Row> rows, int ordinal)
    {
        var cpu = Backend.Cpu;
        var gpu = CudaBackend.Get(ordinal);
        var dev = Device.Cuda(ordinal);
        Tensor G(Tensor t) => t.To(dev);
        float[] H(Tensor t) => t.To(Device.Cpu).ToArray<float>();

        // Shared rank-2 weight (the Linear case) with and without a transposed B, and a batched B with Aᵀ.
        var a = Tensor.RandN([3, 37, 65], seed + 61).To(DType.BF16);
        var w = Tensor.RandN([29, 65], seed + 62).To(DType.BF16);
        var wn = Tensor.RandN([65, 29], seed + 63).To(DType.BF16);
        rows.Add(new Row("mixedmatmul.bf16→f32 B shared Bᵀ", "[3,37,65]·[29,65]ᵀ", RelError(cpu.MixedMatMul(a, w, false, true).ToArray<float>(), H(gpu.MixedMatMul(G(a), G(w), false, true))), 1e-2));
        rows.Add(new Row("mixedmatmul.bf16→f32 B shared", "[3,37,65]·[65,29]", RelError(cpu.MixedMatMul(a, wn, false, false).ToArray<float>(), H(gpu.MixedMatMul(G(a), G(wn), false, false))), 1e-2));
        var at = Tensor.RandN([3, 65, 37], seed + 64).To(DType.BF16);
        var bb = Tensor.RandN([3, 65, 21], seed + 65).To(DType.BF16);
        rows.Add(new Row("mixedmatmul.bf16→f32 batched Aᵀ", "[3,65,37]ᵀ·[3,65,21]", RelError(cpu.MixedMatMul(at, bb, true, false).ToArray<float>(), H(gpu.MixedMatMul(G(at), G(bb), true, false))), 1e-2));

        // Autocast Linear through Ops: forward, dX and dW (f32 masters on both devices).
        var x = Tensor.RandN([2, 9, 48], seed + 66);
        var wm = Tensor.RandN([31, 48], seed + 67);
        var gy = Tensor.RandN([2, 9, 31], seed + 68);
        (float[] y, float[] gx, float[] gw) Run(Device d)
        {
            var xd = x.To(d).Detach(); xd.RequiresGrad = true;
            var wd = wm.To(d).Detach(); wd.RequiresGrad = true;
            Tensor y;
            using (Autocast.Enable())
            {
                y = Ops.Linear(xd, wd);
                y.Backward(gy.To(d));
            }
            return (H(y), H(xd.Grad!), H(wd.Grad!));
        }
        var (yc, gxc, gwc) = Run(Device.Cpu);
        var (yg, gxg, gwg) = Run(dev);
        rows.Add(new Row("autocast.linear.fwd", "[2,9,48]·[31,48]ᵀ", RelError(yc, yg), 1e-2));
        rows.Add(new Row("autocast.linear.dX", "[2,9,31]·[31,48]", RelError(gxc, gxg), 1e-2));
        rows.Add(new Row("autocast.linear.dW", "[18,31]ᵀ·[18,48]", RelError(gwc, gwg), 1e-2));

        // Embedding from a bf16 table: widening is exact, so the rows must match bit for bit.
        var table = Tensor.RandN([41, 26], seed + 69).To(DType.BF16);
        var ids = Tensor.FromArray(new long[] { 0, 40, 7, 7, 19, 3, 22 }, 7);
        rows.Add(new Row("embedding.fwd bf16 table", "[41, 26] ← [7]", RelError(cpu.Embedding(table, ids).ToArray<float>(), H(gpu.Embedding(G(table), G(ids)))), 0));
    }
}
