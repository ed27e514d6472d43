using Engine.Diagnostics.OpCases;
using Engine.Runtime;
using static Engine.Diagnostics.Cases.CaseKit;

namespace Engine.Diagnostics.Cases.Attention;

/// <summary>
/// Attention forward and backward: f32 (kernels/attention.cu) with GQA, causal masking, a padding mask and Tq &lt; Tk; and the
/// bf16 flash kernels (kernels/attention_flash.cu) against the f32 CPU op on the same bf16-rounded inputs.
/// </summary>
public static class AttentionCases
{
    private const string Family = "Attention";

    public static IEnumerable<OpCase> All()
    {
        foreach (var (tq, tk) in new[] { (9, 9), (3, 1100) }) yield return ForwardF32(tq, tk);
        foreach (var (tq, tk) in new[] { (9, 9), (4, 37) }) yield return BackwardF32(tq, tk);
        bool first = true;
        foreach (var c in FlashCases)
        {
            yield return Flash(c, checkRepeat: c.Bwd && first);
            first &= !c.Bwd;
        }
    }

    /// <summary>Batch row 1 has its first <paramref name="padded"/> keys masked out.</summary>
    private static Tensor PaddingMask(int b, int tk, int padded) =>
        Tensor.FromArray(Enumerable.Range(0, b * tk).Select(i => i >= tk && i % tk < padded ? 0L : 1L).ToArray(), b, tk);

    private static AttentionReference.Dims DimsOf(Tensor q, Tensor k) => new(q.Size(0), q.Size(1), k.Size(1), q.Size(2), k.Size(2), q.Size(3));

    private static OpCase ForwardF32(int tq, int tk) => new()
    {
        Family = Family, Name = "attention.fwd (GQA, causal, mask)", Shape = $"q[2,4,{tq},32] k[2,2,{tk},32]", Op = BackendOp.Attention, DType = DType.F32,
        Inputs = s => [N(s, 2, 4, tq, 32), N(s + 1, 2, 2, tk, 32), N(s + 2, 2, 2, tk, 32), PaddingMask(2, tk, 2)],
        Run = t =>
        {
            var (o, lse) = Be(t).AttentionForward(t[0], t[1], t[2], t[3], true, 1 / Math.Sqrt(32));
            return [Rel("attention.fwd (GQA, causal, mask)", o), Rel("attention.lse", lse, shape: $"[2,4,{tq}]")];
        },
        Reference = t =>
        {
            var (o, lse) = AttentionReference.Forward(DimsOf(t[0], t[1]), D(t[0]), D(t[1]), D(t[2]), D(t[3]), true, 1 / Math.Sqrt(32));
            return [Ref("attention.fwd (GQA, causal, mask)", o), Ref("attention.lse", lse)];
        },
        Gradient = tq == 9 ? new Gradient(x => Ops.Attention(x[0], x[1], x[2], causal: true, keyMask: x[3]), [0, 1, 2]) : null,
        Flops = 2.0 * 2 * 4 * tq * tk * 32 * 2,
    };

    /// <summary>Both backends differentiate from the CPU forward's o and lse.</summary>
    private static OpCase BackwardF32(int tq, int tk) => new()
    {
        Family = Family, Name = "attention.bwd", Shape = $"q[2,4,{tq},16] k[2,2,{tk},16]", Op = BackendOp.AttentionBackward, DType = DType.F32,
        Inputs = s =>
        {
            Tensor q = N(s, 2, 4, tq, 16), k = N(s + 1, 2, 2, tk, 16), v = N(s + 2, 2, 2, tk, 16), mask = PaddingMask(2, tk, 2);
            var (o, lse) = Backend.Cpu.AttentionForward(q, k, v, mask, true, 0.25);
            return [q, k, v, mask, o, lse, N(s + 3, 2, 4, tq, 16)];
        },
        Run = t =>
        {
            var (dq, dk, dv) = Be(t).AttentionBackward(t[0], t[1], t[2], t[4], t[5], t[6], t[3], true, 0.25);
            return [Rel("attention.bwd.dq", dq), Rel("attention.bwd.dk", dk), Rel("attention.bwd.dv", dv)];
        },
        Reference = t =>
        {
            var (dq, dk, dv) = AttentionReference.Backward(DimsOf(t[0], t[1]), D(t[0]), D(t[1]), D(t[2]), D(t[4]), D(t[5]), D(t[6]), D(t[3]), true, 0.25);
            return [Ref("attention.bwd.dq", dq), Ref("attention.bwd.dk", dk), Ref("attention.bwd.dv", dv)];
        },
        Flops = 2.0 * 2 * 4 * tq * tk * 16 * 5,
    };

    /// <summary>One flash case; Strided: q/k/v are [B, H, T, D] views of [B, T, H, D] storage, as the model makes them.</summary>
    public sealed record FlashCase(string Name, int B, int Hq, int Hkv, int Tq, int Tk, int D, bool Causal, bool Mask, bool Bwd, bool Strided = false);

    public static readonly FlashCase[] FlashCases =
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

    public static string FlashShape(FlashCase c) =>
        $"{c.Name}: q[{c.B},{c.Hq},{c.Tq},{c.D}] kv[{c.B},{c.Hkv},{c.Tk},{c.D}]{(c.Causal ? " causal" : "")}{(c.Mask ? " mask" : "")}";

    /// <summary>
    /// bf16 q/k/v (the CPU runs f32 on exactly these values); a padding mask on batch row 1's first three keys (with causal,
    /// its first queries then see nothing: lse = +inf). The backward starts on both sides from the CPU forward's o rounded
    /// to bf16 and its lse, with a bf16 dO. Metric: max |want − got| / max |want| (bf16 product-sums judged on the tensor's scale).
    /// </summary>
    private static OpCase Flash(FlashCase c, bool checkRepeat) => new()
    {
        Family = Family, Name = "flash", Shape = FlashShape(c), Op = c.Bwd ? BackendOp.AttentionBackward : BackendOp.Attention, DType = DType.BF16,
        Inputs = s =>
        {
            Tensor Make(ulong seed, int h, int t) => Bf16(c.Strided ? N(seed, c.B, t, h, c.D) : N(seed, c.B, h, t, c.D));
            var (q, k, v) = (Make(s, c.Hq, c.Tq), Make(s + 1, c.Hkv, c.Tk), Make(s + 2, c.Hkv, c.Tk));
            var mask = PaddingMask(c.B, c.Tk, c.Mask ? 3 : 0);
            var (o, lse) = Backend.Cpu.AttentionForward(View(c, q.To(DType.F32)), View(c, k.To(DType.F32)), View(c, v.To(DType.F32)), c.Mask ? mask : null, c.Causal, Scale(c));
            return [q, k, v, mask, Bf16(o), lse, Bf16(N(s + 3, c.B, c.Hq, c.Tq, c.D))];
        },
        Run = t =>
        {
            var be = Be(t);
            var (q, k, v, mask) = (View(c, t[0]), View(c, t[1]), View(c, t[2]), c.Mask ? t[3] : null);
            var (o, lse) = be.AttentionForward(q, k, v, mask, c.Causal, Scale(c));
            var rows = new List<Output> { new("flash.fwd.o (bf16)", o, Check.Peak(Check.Half)), new("flash.fwd.lse", lse, Check.Peak(Check.Half)) };
            if (!c.Bwd) return rows;
            var (dq, dk, dv) = be.AttentionBackward(q, k, v, t[4], t[5], t[6], mask, c.Causal, Scale(c));
            rows.Add(new("flash.bwd.dq (bf16)", dq, Check.Peak(Check.Half)));
            rows.Add(new("flash.bwd.dk (bf16)", dk, Check.Peak(Check.Half)));
            rows.Add(new("flash.bwd.dv (bf16)", dv, Check.Peak(Check.Half)));
            if (checkRepeat)
            {
                // Deterministic: a second backward on the same inputs is bit-identical (no atomics anywhere).
                var (dq2, dk2, dv2) = be.AttentionBackward(q, k, v, t[4], t[5], t[6], mask, c.Causal, Scale(c));
                bool same = D(dq2).SequenceEqual(D(dq)) && D(dk2).SequenceEqual(D(dk)) && D(dv2).SequenceEqual(D(dv));
                rows.Add(Flag("flash.bwd repeat bit-identical", same));
            }
            return rows;
        },
        Reference = c.Tq * c.Tk > 20_000 ? null : t =>
        {
            var dims = new AttentionReference.Dims(c.B, c.Hq, c.Hkv, c.Tq, c.Tk, c.D);
            double[] Dense(Tensor x) => D(View(c, x.To(DType.F32)).Contiguous());
            double[]? mask = c.Mask ? D(t[3]) : null;
            var (o, lse) = AttentionReference.Forward(dims, Dense(t[0]), Dense(t[1]), Dense(t[2]), mask, c.Causal, Scale(c));
            var refs = new List<ReferenceOutput> { Ref("flash.fwd.o (bf16)", o), Ref("flash.fwd.lse", lse) };
            if (c.Bwd)
            {
                var (dq, dk, dv) = AttentionReference.Backward(dims, Dense(t[0]), Dense(t[1]), Dense(t[2]), D(t[4]), D(t[5]), D(t[6]), mask, c.Causal, Scale(c));
                refs.AddRange([Ref("flash.bwd.dq (bf16)", dq), Ref("flash.bwd.dk (bf16)", dk), Ref("flash.bwd.dv (bf16)", dv)]);
            }
            return refs;
        },
        Flops = 4.0 * c.B * c.Hq * c.Tq * c.Tk * c.D * (c.Bwd ? 3.5 : 1) * (c.Causal ? 0.5 : 1),
    };

    private static double Scale(FlashCase c) => 1 / Math.Sqrt(c.D);

    /// <summary>[B, T, H, D] storage seen as [B, H, T, D] for the strided case; the tensor itself otherwise.</summary>
    private static Tensor View(FlashCase c, Tensor x) => c.Strided ? x.Transpose(1, 2) : x;
}
