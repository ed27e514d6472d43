using Engine.Runtime.Cpu;

namespace Engine.Runtime.Cuda;

/// <summary>LayerNorm, GELU/SiLU activations, dropout and symmetric KL through CudaBackend against the CPU backend.</summary>
public static partial class CudaParitySuite
{
    private static void RegularizerOps(ulong seed, List<Row> rows, int ordinal)
    {
        var gpu = CudaBackend.Get(ordinal);
        var dev = Device.Cuda(ordinal);
        LayerNormRows(seed, rows, gpu, dev);
        ActivationRows(seed, rows, gpu, dev);
        DropoutRows(seed, rows, gpu, dev);
        SymmetricKlRows(seed, rows, gpu, dev);
        AutogradRows(seed, rows, dev);
    }

    /// <summary>
    /// Gradients of Σ f(inputs)∘gy through Ops and the autograd tape, on the CPU and on cuda: the dispatch by device and
    /// each op's recorded backward (contiguity, reshapes, the saved statistics) end to end, not only the backend calls.
    /// </summary>
    private static void AutogradRows(ulong seed, List<Row> rows, Device dev)
    {
        var x = Tensor.RandN([6, 301], seed + 280, 2.0);
        var x2 = Tensor.RandN([6, 301], seed + 281, 2.0);
        var w = Tensor.RandN([301], seed + 282); var b = Tensor.RandN([301], seed + 283);
        var gy = Tensor.RandN([6, 301], seed + 284);
        AutogradRow(rows, "Ops.LayerNorm", dev, [x, w, b], t => Ops.LayerNorm(t[0], t[1], t[2], 1e-5), gy);
        AutogradRow(rows, "Ops.Gelu", dev, [x], t => Ops.Gelu(t[0]), gy);
        AutogradRow(rows, "Ops.Gelu(tanh)", dev, [x], t => Ops.Gelu(t[0], approximateTanh: true), gy);
        AutogradRow(rows, "Ops.Silu", dev, [x], t => Ops.Silu(t[0]), gy);
        AutogradRow(rows, "Ops.Dropout p=0.3", dev, [x], t => Ops.Dropout(t[0], 0.3, new Generator(seed) { Offset = 5 }), gy, exact: true);
        AutogradRow(rows, "Ops.SymmetricKl", dev, [x, x2], t => Ops.SymmetricKl(t[0], t[1]), Tensor.RandN([6], seed + 285));
    }

    private static void AutogradRow(List<Row> rows, string op, Device dev, Tensor[] inputs, Func<Tensor[], Tensor> f, Tensor gy, bool exact = false)
    {
        Tensor[] Grads(Device d)
        {
            var leaves = inputs.Select(t => { var l = d.IsCpu ? t.Clone() : t.To(d); l.RequiresGrad = true; return l; }).ToArray();
            f(leaves).Backward(gy.To(d));
            return leaves.Select(l => l.Grad ?? throw new InvalidOperationException($"{op}: no gradient reached an input on {d}")).ToArray();
        }
        var cpu = Grads(Device.Cpu);
        var gpu = Grads(dev);
        for (int i = 0; i < cpu.Length; i++)
        {
            float[] want = cpu[i].ToArray<float>(), got = Host(gpu[i]);
            rows.Add(new Row($"{op} autograd d/input{i}{(exact ? " (bit mismatches)" : "")}", inputs[i].ShapeString,
                exact ? BitMismatches(want, got) : RelError(want, got), exact ? 0 : 1e-5));
        }
    }

    private static float[] Host(Tensor t) => t.To(Device.Cpu).To(DType.F32).ToArray<float>();

    /// <summary>Number of elements whose bits differ (0 when identical; shapes must match).</summary>
    private static double BitMismatches(float[] want, float[] got) =>
        want.Length != got.Length ? double.NaN : want.Zip(got).Count(w => BitConverter.SingleToUInt32Bits(w.First) != BitConverter.SingleToUInt32Bits(w.Second));

    private static void LayerNormRows(ulong seed, List<Row> rows, CudaBackend gpu, Device dev)
    {
        var cpu = Backend.Cpu;
        ulong s = seed + 200;
        // [130, 65] and [200, 37] span several 64-row parts of the weight-gradient reduction.
        foreach (var (n, d) in new[] { (3, 37), (17, 1000), (5, 4099), (130, 65), (200, 37) })
        {
            string shape = $"[{n},{d}]";
            // An offset mean (|μ| ≫ std in some rows) exercises the two-pass variance.
            var xa = Tensor.RandN([n, d], s++, 1.5).ToArray<float>();
            var mu = Tensor.RandN([n], s++, 4.0).ToArray<float>();
            for (int i = 0; i < xa.Length; i++) xa[i] += mu[i / d];
            var x = Tensor.FromArray(xa, n, d);
            var w = Tensor.RandN([d], s++); var b = Tensor.RandN([d], s++); var gy = Tensor.RandN([n, d], s++);
            bool withBias = d != 1000; // one shape without bias
            var bias = withBias ? b : null;
            var (yc, mc, rc) = cpu.LayerNorm(x, w, bias, 1e-5);
            var (yg, mg, rg) = gpu.LayerNorm(x.To(dev), w.To(dev), bias?.To(dev), 1e-5);
            string tag = withBias ? "" : " (no bias)";
            rows.Add(new Row($"layernorm.fwd{tag}", shape, RelError(yc.ToArray<float>(), Host(yg)), 1e-5));
            rows.Add(new Row("layernorm.mean", shape, RelError(mc.ToArray<float>(), Host(mg)), 1e-5));
            rows.Add(new Row("layernorm.rstd", shape, RelError(rc.ToArray<float>(), Host(rg)), 1e-5));

            var (gxc, gwc, gbc) = cpu.LayerNormBackward(x, w, mc, rc, gy, withBias);
            var (gxg, gwg, gbg) = gpu.LayerNormBackward(x.To(dev), w.To(dev), mc.To(dev), rc.To(dev), gy.To(dev), withBias);
            rows.Add(new Row($"layernorm.bwd.gx{tag}", shape, RelError(gxc.ToArray<float>(), Host(gxg)), 1e-5));
            rows.Add(new Row($"layernorm.bwd.gw{tag}", shape, RelError(gwc.ToArray<float>(), Host(gwg)), 1e-5));
            if (withBias)
                rows.Add(new Row("layernorm.bwd.gb", shape, gbg is null ? double.NaN : RelError(gbc!.ToArray<float>(), Host(gbg)), 1e-5));
            else
                rows.Add(new Row("layernorm.bwd.gb absent (no bias)", shape, gbg is null ? 0 : 1, 0));
        }

        // bf16 activations and weights, f32 statistics: the reference is the f32 CPU op on the bf16-rounded inputs.
        {
            var x = Tensor.RandN([5, 4099], s++, 2.0).To(DType.BF16);
            var w = Tensor.RandN([4099], s++).To(DType.BF16); var b = Tensor.RandN([4099], s++).To(DType.BF16);
            var (yc, mc, rc) = cpu.LayerNorm(x.To(DType.F32), w.To(DType.F32), b.To(DType.F32), 1e-5);
            var (yg, mg, rg) = gpu.LayerNorm(x.To(dev), w.To(dev), b.To(dev), 1e-5);
            rows.Add(new Row("layernorm.fwd bf16", "[5,4099]", yg.DType == DType.BF16 ? RelError(yc.ToArray<float>(), Host(yg)) : double.NaN, 1e-2));
            rows.Add(new Row("layernorm.mean bf16 (f32 stats)", "[5,4099]", RelError(mc.ToArray<float>(), Host(mg)), 1e-5));
            rows.Add(new Row("layernorm.rstd bf16 (f32 stats)", "[5,4099]", RelError(rc.ToArray<float>(), Host(rg)), 1e-5));
        }
    }

    private static void ActivationRows(ulong seed, List<Row> rows, CudaBackend gpu, Device dev)
    {
        var cpu = Backend.Cpu;
        // std 3: both tails (erfc ≈ 0 and ≈ 2, tanh saturated) as well as the middle.
        var x = Tensor.RandN([17, 1000], seed + 230, 3.0);
        var gy = Tensor.RandN([17, 1000], seed + 231);
        var xb = Tensor.RandN([5, 4099], seed + 232, 3.0).To(DType.BF16);
        foreach (var kind in new[] { ActivationKind.Silu, ActivationKind.Gelu, ActivationKind.GeluTanh })
        {
            string name = kind.ToString().ToLowerInvariant();
            rows.Add(new Row($"{name}.fwd", "[17,1000]", RelError(cpu.Activation(kind, x).ToArray<float>(), Host(gpu.Activation(kind, x.To(dev)))), 1e-5));
            rows.Add(new Row($"{name}.bwd", "[17,1000]", RelError(cpu.ActivationBackward(kind, x, gy).ToArray<float>(), Host(gpu.ActivationBackward(kind, x.To(dev), gy.To(dev)))), 1e-5));
            var yb = gpu.Activation(kind, xb.To(dev));
            rows.Add(new Row($"{name}.fwd bf16", "[5,4099]", yb.DType == DType.BF16 ? RelError(cpu.Activation(kind, xb.To(DType.F32)).ToArray<float>(), Host(yb)) : double.NaN, 1e-2));
        }
    }

    private static void DropoutRows(ulong seed, List<Row> rows, CudaBackend gpu, Device dev)
    {
        var cpu = Backend.Cpu;
        const ulong offset = 12_345; // a non-zero Philox offset, as successive dropout calls use
        ulong dseed = seed ^ 0x5EEDUL;
        foreach (var (n, d) in new[] { (3, 37), (5, 4099) }) // 111 and 20495 elements: neither a multiple of 4
        {
            var x = Tensor.RandN([n, d], seed + 240 + (ulong)d);
            string shape = $"[{n},{d}]";
            foreach (var p in new[] { 0.1, 0.5 })
            {
                var want = cpu.Dropout(x, p, dseed, offset).ToArray<float>();
                var got = Host(gpu.Dropout(x.To(dev), p, dseed, offset));
                rows.Add(new Row($"dropout p={p} (bit mismatches)", shape, BitMismatches(want, got), 0));
                // The keep mask against the interface's definition, independently of either kernel.
                int wrong = 0;
                for (int i = 0; i < got.Length; i++)
                    if ((got[i] != 0) != (Philox.ToUniform(Philox.Word(dseed, offset, (ulong)i)) >= p)) wrong++;
                rows.Add(new Row($"dropout p={p} mask vs Philox (mismatches)", shape, wrong, 0));
            }
        }
        // Backward is the same call on dL/dy; bf16 rounds the f32 product once, as the CPU's f32 → bf16 conversion does.
        var g = Tensor.RandN([5, 4099], seed + 249);
        rows.Add(new Row("dropout.bwd p=0.1 (bit mismatches)", "[5,4099]", BitMismatches(cpu.Dropout(g, 0.1, dseed, offset).ToArray<float>(), Host(gpu.Dropout(g.To(dev), 0.1, dseed, offset))), 0));
        var xb = Tensor.RandN([5, 4099], seed + 250).To(DType.BF16);
        var wantB = cpu.Dropout(xb.To(DType.F32), 0.5, dseed, offset).To(DType.BF16).To(DType.F32).ToArray<float>();
        var yb = gpu.Dropout(xb.To(dev), 0.5, dseed, offset);
        rows.Add(new Row("dropout bf16 p=0.5 (bit mismatches)", "[5,4099]", yb.DType == DType.BF16 ? BitMismatches(wantB, Host(yb)) : double.NaN, 0));
    }

    private static void SymmetricKlRows(ulong seed, List<Row> rows, CudaBackend gpu, Device dev)
    {
        var cpu = Backend.Cpu;
        ulong s = seed + 260;
        // [2,150001]: a vocabulary-sized row (wide blocks, many chunks per thread).
        foreach (var (n, v) in new[] { (3, 37), (17, 1000), (5, 4099), (2, 150_001) })
        {
            string shape = $"[{n},{v}]";
            var lp = Tensor.RandN([n, v], s++, 2.0);
            // Q a perturbation of P, so KL is moderate rather than dominated by unrelated peaks.
            var pa = lp.ToArray<float>(); var qa = Tensor.RandN([n, v], s++, 0.7).ToArray<float>();
            for (int i = 0; i < qa.Length; i++) qa[i] += pa[i];
            if (v == 4099)
            {
                // Row 2 of Q equals row 2 of P: KL = 0 there, and the gradients are exactly zero.
                Array.Copy(pa, 2 * v, qa, 2 * v, v);
                shape += " (row 2: p = q)";
            }
            var lq = Tensor.FromArray(qa, n, v);
            var gy = Tensor.RandN([n], s++);
            var (klc, stc) = cpu.SymmetricKl(lp, lq);
            var (klg, stg) = gpu.SymmetricKl(lp.To(dev), lq.To(dev));
            rows.Add(new Row("symmetric_kl.fwd", shape, RelError(klc.ToArray<float>(), Host(klg)), 1e-5));
            rows.Add(new Row("symmetric_kl.row_stats", shape, RelError(stc.ToArray<float>(), Host(stg)), 1e-5));
            var (dpc, dqc) = cpu.SymmetricKlBackward(lp, lq, stc, gy);
            var (dpg, dqg) = gpu.SymmetricKlBackward(lp.To(dev), lq.To(dev), stc.To(dev), gy.To(dev));
            rows.Add(new Row("symmetric_kl.bwd.dP", shape, RelError(dpc.ToArray<float>(), Host(dpg)), 1e-5));
            rows.Add(new Row("symmetric_kl.bwd.dQ", shape, RelError(dqc.ToArray<float>(), Host(dqg)), 1e-5));
            if (v == 4099)
            {
                var k = Host(klg);
                rows.Add(new Row("symmetric_kl p = q row is exactly 0", shape, k[2] == 0 ? 0 : Math.Abs(k[2]), 0));
            }
        }
    }
}
