namespace Engine.Runtime.Cuda;

/// <summary>
/// Flash attention (bf16 tensor-core kernels) through CudaBackend against the CPU reference computed in f32 from the
/// SAME bf16-rounded inputs. Metric: max |want − got| / max |want| over the tensor (bf16 tolerance 1e-2), so an
/// element near zero is judged on the tensor's scale, as a bf16 product-sum has to be; +inf entries of lse must match.
/// </summary>
public static partial class CudaParitySuite
{
    /// <summary>(name, B, Hq, Hkv, Tq, Tk, D, causal, padding mask, backward too).</summary>
    private static readonly (string Name, int B, int Hq, int Hkv, int Tq, int Tk, int D, bool Causal, bool Mask, bool Bwd)[] FlashCases =
    [
        ("T=1", 1, 8, 2, 1, 1, 64, true, false, false),
        ("T=37 mask", 2, 8, 2, 37, 37, 64, false, true, true),
        ("T=129 causal", 1, 4, 4, 129, 129, 64, true, false, true),
        ("T=257 causal mask", 2, 8, 2, 257, 257, 128, true, true, false),
        ("T=65", 1, 8, 2, 65, 65, 128, false, false, false),
        ("T=33 causal", 1, 8, 2, 33, 33, 128, true, false, true),
        ("decode Tq=1 Tk=300 mask", 2, 8, 2, 1, 300, 128, true, true, false),
        ("Tq=3 Tk=70 causal mask", 2, 8, 2, 3, 70, 128, true, true, true),
        ("Tq=5 Tk=131", 1, 8, 2, 5, 131, 64, false, false, true),
        ("bf16 fallback D=32 (f32 kernels)", 2, 4, 2, 9, 9, 32, true, true, true),
    ];

    /// <summary>Cases small enough for the CPU emulator in a unit test, still covering both head dims, GQA, mask, causal, Tq &lt; Tk and backward.</summary>
    private static readonly HashSet<string> QuickFlashCases = ["T=37 mask", "Tq=3 Tk=70 causal mask"];

    /// <summary>Only the flash-attention rows (every case, or the quick subset) on one device.</summary>
    public static IReadOnlyList<Row> FlashAttention(int ordinal, ulong seed, bool quick = false)
    {
        var rows = new List<Row>();
        FlashAttentionRows(seed, rows, ordinal, quick);
        return rows;
    }

    private static void FlashAttentionRows(ulong seed, List<Row> rows, int ordinal, bool quick = false)
    {
        var cpu = Backend.Cpu;
        var gpu = CudaBackend.Get(ordinal);
        var dev = Device.Cuda(ordinal);
        float[] H(Tensor t) => t.To(Device.Cpu).To(DType.F32).ToArray<float>();
        ulong s = seed + 200;
        foreach (var c in FlashCases)
        {
            if (quick && !QuickFlashCases.Contains(c.Name)) continue;
            // bf16 inputs; the reference runs in f32 on exactly these values.
            var qb = Tensor.RandN([c.B, c.Hq, c.Tq, c.D], s++).To(DType.BF16);
            var kb = Tensor.RandN([c.B, c.Hkv, c.Tk, c.D], s++).To(DType.BF16);
            var vb = Tensor.RandN([c.B, c.Hkv, c.Tk, c.D], s++).To(DType.BF16);
            var q = qb.To(DType.F32); var k = kb.To(DType.F32); var v = vb.To(DType.F32);
            Tensor? mask = null;
            if (c.Mask) // batch row 1: its first three keys padded out (with causal, its first queries then see nothing: lse = +inf)
                mask = Tensor.FromArray(Enumerable.Range(0, c.B * c.Tk).Select(i => i >= c.Tk && i % c.Tk < 3 ? 0L : 1L).ToArray(), c.B, c.Tk);
            double scale = 1 / Math.Sqrt(c.D);
            string shape = $"{c.Name}: q[{c.B},{c.Hq},{c.Tq},{c.D}] kv[{c.B},{c.Hkv},{c.Tk},{c.D}]{(c.Causal ? " causal" : "")}";

            var (oc, lc) = cpu.AttentionForward(q, k, v, mask, c.Causal, scale);
            var (og, lg) = gpu.AttentionForward(qb.To(dev), kb.To(dev), vb.To(dev), mask?.To(dev), c.Causal, scale);
            rows.Add(new Row("flash.fwd.o (bf16)", shape, PeakRelError(oc.ToArray<float>(), H(og)), 1e-2));
            rows.Add(new Row("flash.fwd.lse", shape, PeakRelError(lc.ToArray<float>(), H(lg)), 1e-2));
            if (!c.Bwd) continue;

            // Backward: the reference and the GPU both start from the CPU forward's o (rounded to bf16 for the GPU,
            // and the reference uses those rounded values too) and lse, and the same bf16-rounded dO.
            var ob = oc.To(DType.BF16); var o = ob.To(DType.F32);
            var dOb = Tensor.RandN([c.B, c.Hq, c.Tq, c.D], s++).To(DType.BF16); var dO = dOb.To(DType.F32);
            var (dqc, dkc, dvc) = cpu.AttentionBackward(q, k, v, o, lc, dO, mask, c.Causal, scale);
            var (dqg, dkg, dvg) = gpu.AttentionBackward(qb.To(dev), kb.To(dev), vb.To(dev), ob.To(dev), lc.To(dev), dOb.To(dev), mask?.To(dev), c.Causal, scale);
            rows.Add(new Row("flash.bwd.dq (bf16)", shape, PeakRelError(dqc.ToArray<float>(), H(dqg)), 1e-2));
            rows.Add(new Row("flash.bwd.dk (bf16)", shape, PeakRelError(dkc.ToArray<float>(), H(dkg)), 1e-2));
            rows.Add(new Row("flash.bwd.dv (bf16)", shape, PeakRelError(dvc.ToArray<float>(), H(dvg)), 1e-2));
        }
    }

    /// <summary>max |want − got| / max |want|; NaN when got is not finite where want is, or an infinite want is missed.</summary>
    public static double PeakRelError(float[] want, float[] got)
    {
        if (want.Length != got.Length) return double.NaN;
        double peak = 0, worst = 0;
        for (int i = 0; i < want.Length; i++)
        {
            if (float.IsInfinity(want[i]) || float.IsInfinity(got[i]))
            {
                if (want[i] != got[i]) return double.NaN;
                continue;
            }
            if (!float.IsFinite(got[i])) return double.NaN;
            peak = Math.Max(peak, Math.Abs(want[i]));
            worst = Math.Max(worst, Math.Abs((double)want[i] - got[i]));
        }
        return peak == 0 ? worst : worst / peak;
    }
}
