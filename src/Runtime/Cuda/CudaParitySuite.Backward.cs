namespace Engine.Runtime.Cuda;

/// <summary>Backward and optimizer kernels through CudaBackend against the CPU backend.</summary>
public static partial class CudaParitySuite
{
    private static void BackwardOps(ulong seed, List<Row> rows, int ordinal)
    {
        var cpu = Backend.Cpu;
        var gpu = CudaBackend.Get(ordinal);
        var dev = Device.Cuda(ordinal);
        Tensor G(Tensor t) => t.To(dev);
        float[] H(Tensor t) => t.To(Device.Cpu).ToArray<float>();

        var x = Tensor.RandN([7, 129], seed + 51);
        var pos = Tensor.RandUniform([7, 129], seed + 52, 0.5, 2.0);
        var gy = Tensor.RandN([7, 129], seed + 53);
        foreach (var op in new[] { UnaryOp.Exp, UnaryOp.Sigmoid, UnaryOp.Tanh, UnaryOp.LogSigmoid, UnaryOp.Square })
        {
            var y = cpu.Unary(op, x);
            rows.Add(new Row($"unary.{op}.bwd", x.ShapeString, RelError(cpu.UnaryBackward(op, x, y, gy).ToArray<float>(), H(gpu.UnaryBackward(op, G(x), G(y), G(gy)))), 1e-5));
        }
        var yl = cpu.Unary(UnaryOp.Log, pos);
        rows.Add(new Row("unary.Log.bwd", pos.ShapeString, RelError(cpu.UnaryBackward(UnaryOp.Log, pos, yl, gy).ToArray<float>(), H(gpu.UnaryBackward(UnaryOp.Log, G(pos), G(yl), G(gy)))), 1e-5));

        var (dgc, duc) = cpu.SwiGluBackward(x, pos, gy);
        var (dgg, dug) = gpu.SwiGluBackward(G(x), G(pos), G(gy));
        rows.Add(new Row("swiglu.bwd.gate", x.ShapeString, RelError(dgc.ToArray<float>(), H(dgg)), 1e-5));
        rows.Add(new Row("swiglu.bwd.up", x.ShapeString, RelError(duc.ToArray<float>(), H(dug)), 1e-5));

        var ids = Tensor.FromArray(new long[] { 3, 0, 3, 9, 3, 1, 0 }, 7);
        rows.Add(new Row("embedding.bwd (repeated ids)", "[7] → [10, 129]", RelError(cpu.EmbeddingBackward(gy, ids, 10).ToArray<float>(), H(gpu.EmbeddingBackward(G(gy), G(ids), 10))), 1e-6));

        var x3 = Tensor.RandN([3, 5, 11], seed + 54);
        foreach (var dims in new[] { new[] { 0, 1 }, new[] { 2 }, new[] { 0, 2 } })
            rows.Add(new Row($"sum dims [{string.Join(",", dims)}]", x3.ShapeString, RelError(cpu.Sum(x3, dims, true).ToArray<float>(), H(gpu.Sum(G(x3), dims, true))), F32));
        var b1 = Tensor.RandN([3, 1, 11], seed + 55);
        rows.Add(new Row("broadcast_to", "[3,1,11] → [3,5,11]", RelError(cpu.BroadcastTo(b1, [3, 5, 11]).ToArray<float>(), H(gpu.BroadcastTo(G(b1), [3, 5, 11]))), 0));

        double ssc = cpu.SumOfSquares(x), ssg = gpu.SumOfSquares(G(x));
        rows.Add(new Row("sum_of_squares", x.ShapeString, Math.Abs(ssc - ssg) / ssc, 1e-5));

        // Three AdamW steps from the same state on both sides.
        var (pc, mc, vc) = (x.Clone(), Tensor.Zeros([7, 129]), Tensor.Zeros([7, 129]));
        var (pg, mg, vg) = (G(x), G(Tensor.Zeros([7, 129])), G(Tensor.Zeros([7, 129])));
        for (int s = 1; s <= 3; s++)
        {
            var g = Tensor.RandN([7, 129], seed + 60 + (ulong)s);
            cpu.AdamWStep(pc, g, mc, vc, 1e-2, 0.9, 0.999, 1e-8, 0.1, s);
            gpu.AdamWStep(pg, G(g), mg, vg, 1e-2, 0.9, 0.999, 1e-8, 0.1, s);
        }
        rows.Add(new Row("adamw (3 steps)", x.ShapeString, RelError(pc.ToArray<float>(), H(pg)), 1e-5));

        // Multi-tensor AdamW (one launch, several chunks for the large tensor) against per-tensor steps on the CPU.
        int[] sizes = [1, 37, 65_536 + 4099, 1000];
        var pcs = sizes.Select((n, i) => Tensor.RandN([n], seed + 80 + (ulong)i)).ToArray();
        var cpuT = pcs.Select(p => (p: p.Clone(), m: Tensor.Zeros([p.Size(0)]), v: Tensor.Zeros([p.Size(0)]))).ToArray();
        var gpuT = pcs.Select(p => (p: G(p), m: G(Tensor.Zeros([p.Size(0)])), v: G(Tensor.Zeros([p.Size(0)])))).ToArray();
        for (int s = 1; s <= 3; s++)
        {
            var gs = sizes.Select((n, i) => Tensor.RandN([n], seed + 90 + (ulong)(10 * s + i))).ToArray();
            for (int i = 0; i < sizes.Length; i++) cpu.AdamWStep(cpuT[i].p, gs[i], cpuT[i].m, cpuT[i].v, 1e-2, 0.9, 0.999, 1e-8, 0.1, s);
            gpu.AdamWStepMany(gpuT.Select((t, i) => new AdamWTensors(t.p, G(gs[i]), t.m, t.v)).ToArray(), 1e-2, 0.9, 0.999, 1e-8, 0.1, s);
        }
        for (int i = 0; i < sizes.Length; i++)
            rows.Add(new Row("adamw multi-tensor (3 steps)", $"[{sizes[i]}] of {sizes.Length}", RelError(cpuT[i].p.ToArray<float>(), H(gpuT[i].p)), 1e-5));

        // Attention backward: GQA, causal, padding mask, and Tq < Tk.
        foreach (var (tq, tk) in new[] { (9, 9), (4, 37) })
        {
            var q = Tensor.RandN([2, 4, tq, 16], seed + 71); var k = Tensor.RandN([2, 2, tk, 16], seed + 72);
            var v = Tensor.RandN([2, 2, tk, 16], seed + 73); var dO = Tensor.RandN([2, 4, tq, 16], seed + 74);
            var maskVals = Enumerable.Range(0, 2 * tk).Select(i => i >= tk && i % tk < 2 ? 0L : 1L).ToArray();
            var mask = Tensor.FromArray(maskVals, 2, tk);
            double scale = 0.25;
            var (o, lse) = cpu.AttentionForward(q, k, v, mask, true, scale);
            var (dqc, dkc, dvc) = cpu.AttentionBackward(q, k, v, o, lse, dO, mask, true, scale);
            var (dqg, dkg, dvg) = gpu.AttentionBackward(G(q), G(k), G(v), G(o), G(lse), G(dO), G(mask), true, scale);
            string shape = $"q[2,4,{tq},16] k[2,2,{tk},16]";
            rows.Add(new Row("attention.bwd.dq", shape, RelError(dqc.ToArray<float>(), H(dqg)), F32));
            rows.Add(new Row("attention.bwd.dk", shape, RelError(dkc.ToArray<float>(), H(dkg)), F32));
            rows.Add(new Row("attention.bwd.dv", shape, RelError(dvc.ToArray<float>(), H(dvg)), F32));
        }
    }
}
