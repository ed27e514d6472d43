namespace Engine.Runtime.Cuda;

/// <summary>Hard-concrete (L0) mask kernels through CudaBackend against the CPU reference.</summary>
public static partial class CudaParitySuite
{
    private static void HardConcreteOps(ulong seed, List<Row> rows, int ordinal)
    {
        var cpu = Backend.Cpu;
        var gpu = CudaBackend.Get(ordinal);
        var dev = Device.Cuda(ordinal);
        Tensor G(Tensor t) => t.To(dev);
        float[] H(Tensor t) => t.To(Device.Cpu).ToArray<float>();

        foreach (var n in new[] { 1, 1000, 65_537 })
        {
            string shape = $"[{n}]";
            var la = Tensor.RandN([n], seed + 81, 3.0);        // reaches both clamps of z
            var gz = Tensor.RandN([n], seed + 82);
            ulong s = seed + 83, off = 7;
            rows.Add(new Row("hardconcrete.sample", shape, HcError(H(cpu.HardConcreteSample(la, s, off)), H(gpu.HardConcreteSample(G(la), s, off))), 1e-5));
            rows.Add(new Row("hardconcrete.sample.bwd", shape, HcError(H(cpu.HardConcreteSampleBackward(la, s, off, gz)), H(gpu.HardConcreteSampleBackward(G(la), s, off, G(gz)))), 1e-5));
            var wide = Tensor.RandN([n], seed + 84, 8.0);      // reaches the ε clamp of the score
            rows.Add(new Row("hardconcrete.score", shape, HcError(H(cpu.HardConcreteScore(wide)), H(gpu.HardConcreteScore(G(wide)))), 1e-5));
            rows.Add(new Row("hardconcrete.score.bwd", shape, HcError(H(cpu.HardConcreteScoreBackward(wide, gz)), H(gpu.HardConcreteScoreBackward(G(wide), G(gz)))), 1e-5));
            var clamped = G(wide);
            gpu.HardConcreteClampInPlace(clamped, HardConcrete.LogAlphaMin, HardConcrete.LogAlphaMax);
            var want = wide.Clone();
            cpu.HardConcreteClampInPlace(want, HardConcrete.LogAlphaMin, HardConcrete.LogAlphaMax);
            rows.Add(new Row("hardconcrete.clamp", shape, HcError(H(want), H(clamped)), 0));
        }

        // Eval masks: rows of a head mask, an intermediate mask (13,824 = LLaMA-2-7B), the hidden mask; k from the
        // score or from a target size; and rows full of ties (log α on a coarse grid, as after the clamp at init).
        foreach (var (r, n, target, ties) in new[] { (3, 37, -1, false), (24, 1000, -1, false), (2, 13_824, -1, false), (1, 4099, -1, false),
                                                       (24, 1000, 600, false), (8, 515, -1, true), (8, 515, 300, true) })
        {
            var la = Tensor.RandN([r, n], seed + 85 + (ulong)n, 2.0);
            if (ties) la = Tensor.FromArray(la.ToArray<float>().Select(v => MathF.Round(v * 2) / 2).ToArray(), r, n);
            var want = H(cpu.HardConcreteEvalMask(la, target));
            var got = H(gpu.HardConcreteEvalMask(G(la), target));
            string shape = $"[{r}, {n}]" + (target >= 0 ? $" target {target}" : "") + (ties ? " ties" : "");
            rows.Add(new Row("hardconcrete.eval_mask.zeros", shape, want.Zip(got).Count(p => (p.First == 0) != (p.Second == 0)), 0));
            rows.Add(new Row("hardconcrete.eval_mask", shape, HcError(want, got), 1e-5));
        }
    }

    /// <summary>RelError, except that an all-zero reference (a single clamped gate, say) compares absolutely instead of 0/0.</summary>
    private static double HcError(float[] want, float[] got)
    {
        if (want.Any(v => v != 0)) return RelError(want, got);
        double worst = 0;
        foreach (var v in got) worst = float.IsFinite(v) ? Math.Max(worst, Math.Abs(v)) : double.NaN;
        return worst;
    }
}
