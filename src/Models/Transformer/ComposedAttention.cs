using Engine.Runtime;

namespace Engine.Models.Transformer;

/// <summary>
/// Causal GQA attention composed from ops, scores → masked softmax → dropout → ·V, for training with dropout on the
/// attention probabilities (where transformers' eager attention applies <c>attention_dropout</c>), which the fused
/// <see cref="Ops.Attention"/> kernel does not do. The model uses it only when that dropout is active (training mode,
/// p &gt; 0); otherwise the fused op runs. Same contract as the fused op: q [B, Hq, Tq, D], k/v [B, Hkv, Tk, D], query
/// i sees key j iff j ≤ i + Tk − Tq and the key is not padding, scale 1/√D, a row with no visible key gives zeros.
/// </summary>
public static class ComposedAttention
{
    /// <param name="mask">From <see cref="AttentionMask.Build"/> for these shapes (shared by every layer of a forward).</param>
    /// <param name="dropout">Probability of zeroing an attention probability (kept ones scaled by 1/(1−p)).</param>
    /// <param name="generator">Philox stream of the dropout masks (one range of B·Hq·Tq·Tk words per call).</param>
    public static Tensor Forward(Tensor q, Tensor k, Tensor v, AttentionMask mask, double dropout, Generator generator)
    {
        bool ok = q.Rank == 4 && k.Rank == 4 && k.Shape.SequenceEqual(v.Shape) && k.Size(1) > 0 && q.Size(1) % k.Size(1) == 0
            && k.Size(0) == q.Size(0) && k.Size(3) == q.Size(3);
        if (!ok)
            throw new ArgumentException($"ComposedAttention needs q [B, Hq, Tq, D] and k/v [B, Hkv, Tk, D] with Hq a multiple of Hkv; got q {q.ShapeString}, k {k.ShapeString}, v {v.ShapeString}.");
        int b = q.Size(0), hq = q.Size(1), tq = q.Size(2), d = q.Size(3), hkv = k.Size(1), tk = k.Size(2);
        if (!mask.Bias.Shape.SequenceEqual([b, hq, tq, tk]))
            throw new ArgumentException($"ComposedAttention: mask is {mask.Bias.ShapeString}, q {q.ShapeString} and k {k.ShapeString} need [{b}, {hq}, {tq}, {tk}].");
        int rep = hq / hkv;
        // Query heads g·rep … g·rep+rep−1 share KV head g: stack them along time so one batched matmul per group serves all.
        var qg = Ops.Scale(q, 1.0 / Math.Sqrt(d)).Contiguous().Reshape(b, hkv, rep * tq, d);
        var scores = Ops.MatMul(qg, k.Contiguous().Transpose(2, 3)).Reshape(b, hq, tq, tk);
        var probs = Ops.Softmax(Ops.Add(scores, mask.Bias), -1);
        if (mask.Visible is { } visible) probs = Ops.Mul(probs, visible);
        probs = Ops.Dropout(probs, dropout, generator, training: true);
        var o = Ops.MatMul(probs.Reshape(b, hkv, rep * tq, tk), v.Contiguous());
        return o.Reshape(b, hq, tq, d);
    }
}

/// <summary>
/// The causal and padding mask of <see cref="ComposedAttention"/> as an additive bias [B, Hq, Tq, Tk] (0 where a query
/// may attend, −1e30 elsewhere), plus a 0/1 tensor that zeros the rows with no visible key (only when such rows exist,
/// e.g. left padding). Built on the host once per forward and shared by all layers.
/// </summary>
public sealed class AttentionMask
{
    public Tensor Bias { get; }
    public Tensor? Visible { get; }

    private AttentionMask(Tensor bias, Tensor? visible) { Bias = bias; Visible = visible; }

    /// <param name="keyMask">[B, Tk] (nonzero = a real key) or null.</param>
    public static AttentionMask Build(Tensor? keyMask, int batch, int heads, int tq, int tk, DType dtype, Device device)
    {
        long[]? keys = null;
        if (keyMask is not null)
        {
            using var _ = Autograd.NoGrad();
            keys = keyMask.To(Device.Cpu).To(DType.I64).ToArray<long>();
        }
        var bias = new double[batch * tq * tk];
        var visible = new double[bias.Length];
        bool anyBlind = false;
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < tq; i++)
            {
                bool any = false;
                for (int j = 0; j < tk; j++)
                {
                    bool ok = j <= i + tk - tq && (keys is null || keys[b * tk + j] != 0);
                    int at = (b * tq + i) * tk + j;
                    bias[at] = ok ? 0 : -1e30;
                    visible[at] = ok ? 1 : 0;
                    any |= ok;
                }
                anyBlind |= !any;
            }
        return new AttentionMask(PerHead(bias), anyBlind ? PerHead(visible) : null);

        // [B, 1, Tq, Tk] repeated over the heads on the device: one small upload instead of a Hq-times larger one.
        Tensor PerHead(double[] values)
        {
            var t = Tensor.FromArray(values, batch, 1, tq, tk).To(dtype);
            if (!device.IsCpu) t = t.To(device);
            return heads == 1 ? t : Ops.Cat(Enumerable.Repeat(t, heads).ToArray(), 1);
        }
    }
}
