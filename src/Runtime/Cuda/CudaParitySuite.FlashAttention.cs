namespace Engine.Runtime.Cuda;

/// <summary>
/// Flash attention (bf16 tensor-core kernels) through CudaBackend against the CPU reference computed in f32 from the
/// SAME bf16-rounded inputs. Metric: max |want − got| / max |want| over the tensor (bf16 tolerance 1e-2), so an
/// element near zero is judged on the tensor's scale, as a bf16 product-sum has to be; +inf entries of lse must match.
/// </summary>
public static partial class CudaParitySuite
{
    /// <summary>One flash parity case; Strided: q/k/v are [B, H, T, D] views of [B, T, H, D] storage, as the model makes them.</summary>
    private readonly record struct FlashCase(string Name, int B, int Hq, int Hkv, int Tq, int Tk, int D, bool Causal, bool Mask, bool Bwd, bool Strided = false);

    private static readonly FlashCase[] FlashCases =
    [
        new("T=1", 1, 8, 2, 1, 1, 64, true, false, false),
        new("T=37", 2, 8, 2, 37, 37, 64, false, true, true),
        new("T=129", 1, 4, 4, 129, 129, 64, true, false, true),
        new("T=257", 2, 8, 2, 257, 257, 128, true, true, false),
        new("T=65", 1, 8, 2, 65, 65, 128, false, false, false),
        new("T=33", 1, 8, 2, 33, 33, 128, true, false, true),
        new("decode Tq=1 Tk=300", 2, 8, 2, 1, 300, 128, true, true, false),
        new("Tq=3 Tk=70", 2, 8, 2, 3, 70, 128, true, true, true),
        new("Tq=5 Tk=131", 1, 8, 2, 5, 131, 64, false, false, true),
        new("bf16 fallback D=32 (f32 kernels)", 2, 4, 2, 9, 9, 32, true, true, true),
        new("T=45 strided views", 2, 8, 2, 45, 45, 64, true, true, true, Strided: true),
    ];

    /// <summary>Cases small enough for the CPU emulator in a unit test, still covering both head dims, GQA, mask, causal, Tq &lt; Tk and backward.</summary>
    private static readonly HashSet<string> QuickFlashCases = ["T=37", "Tq=3 Tk=70", "T=45 strided views"];

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
        bool checkedRepeat = false;
        foreach (var c in FlashCases)
        {
            if (quick && !QuickFlashCases.Contains(c.Name)) continue;
            // bf16 inputs; the reference runs in f32 on exactly these values.
            Tensor Make(int h, int t) => (c.Strided ? Tensor.RandN([c.B, t, h, c.D], s++) : Tensor.RandN([c.B, h, t, c.D], s++)).To(DType.BF16);
            Tensor View(Tensor x) => c.Strided ? x.Transpose(1, 2) : x; // [B, T, H, D] storage seen as [B, H, T, D]
            var qs = Make(c.Hq, c.Tq); var ks = Make(c.Hkv, c.Tk); var vs = Make(c.Hkv, c.Tk);
            var (qg, kg, vg) = (View(qs.To(dev)), View(ks.To(dev)), View(vs.To(dev)));
            var q = View(qs).To(DType.F32); var k = View(ks).To(DType.F32); var v = View(vs).To(DType.F32);
            Tensor? mask = null;
            if (c.Mask) // batch row 1: its first three keys padded out (with causal, its first queries then see nothing: lse = +inf)
                mask = Tensor.FromArray(Enumerable.Range(0, c.B * c.Tk).Select(i => i >= c.Tk && i % c.Tk < 3 ? 0L : 1L).ToArray(), c.B, c.Tk);
            double scale = 1 / Math.Sqrt(c.D);
            string shape = $"{c.Name}: q[{c.B},{c.Hq},{c.Tq},{c.D}] kv[{c.B},{c.Hkv},{c.Tk},{c.D}]{(c.Causal ? " causal" : "")}{(c.Mask ? " mask" : "")}";

            var (oc, lc) = cpu.AttentionForward(q, k, v, mask, c.Causal, scale);
            var (og, lg) = gpu.AttentionForward(qg, kg, vg, mask?.To(dev), c.Causal, scale);
            rows.Add(new Row("flash.fwd.o (bf16)", shape, PeakRelError(oc.ToArray<float>(), H(og)), 1e-2));
            rows.Add(new Row("flash.fwd.lse", shape, PeakRelError(lc.ToArray<float>(), H(lg)), 1e-2));
            if (!c.Bwd) continue;

            // Backward: the reference and the GPU both start from the CPU forward's o (rounded to bf16 for the GPU,
            // and the reference uses those rounded values too) and lse, and the same bf16-rounded dO.
            var ob = oc.To(DType.BF16); var o = ob.To(DType.F32);
            var dOb = Tensor.RandN([c.B, c.Hq, c.Tq, c.D], s++).To(DType.BF16); var dO = dOb.To(DType.F32);
            var (dqc, dkc, dvc) = cpu.AttentionBackward(q, k, v, o, lc, dO, mask, c.Causal, scale);
            var (dqg, dkg, dvg) = gpu.AttentionBackward(qg, kg, vg, ob.To(dev), lc.To(dev), dOb.To(dev), mask?.To(dev), c.Causal, scale);
            rows.Add(new Row("flash.bwd.dq (bf16)", shape, PeakRelError(dqc.ToArray<float>(), H(dqg)), 1e-2));
            rows.Add(new Row("flash.bwd.dk (bf16)", shape, PeakRelError(dkc.ToArray<float>(), H(dkg)), 1e-2));
            rows.Add(new Row("flash.bwd.dv (bf16)", shape, PeakRelError(dvc.ToArray<float>(), H(dvg)), 1e-2));
            if (checkedRepeat) continue;
            // Deterministic: a second backward on the same inputs is bit-identical (no atomics anywhere).
            checkedRepeat = true;
            var (dq2, dk2, dv2) = gpu.AttentionBackward(qg, kg, vg, ob.To(dev), lc.To(dev), dOb.To(dev), mask?.To(dev), c.Causal, scale);
            bool same = H(dq2).SequenceEqual(H(dqg)) && H(dk2).SequenceEqual(H(dkg)) && H(dv2).SequenceEqual(H(dvg));
            rows.Add(new Row("flash.bwd repeat bit-identical", shape, same ? 0 : 1, 0));
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
