using Engine.Models.Config;
using Engine.Runtime;

namespace Engine.Models.Transformer;

/// <summary>What one decoder layer multiplies in; every field null when its mask is absent.</summary>
/// <param name="Hidden">[H], on each RMSNorm output.</param>
/// <param name="HiddenKeepScale">√(H / n_kept) for <see cref="MaskMath.RmsNormKept"/>.</param>
/// <param name="Context">[Hq·D]: per query head (Heads ⊙ repeat-interleaved KvHeads) repeated over head_dim, on the context [B, T, Hq·D].</param>
/// <param name="Intermediate">[I], on silu(gate)·up.</param>
/// <param name="AttentionOutput">[H] (hidden ⊙ layer gate) or [1] (the layer gate alone), on the attention block's output.</param>
/// <param name="MlpOutput">The same for the MLP block's output.</param>
internal sealed record LayerMasks(Tensor? Hidden, double HiddenKeepScale, Tensor? Context, Tensor? Intermediate, Tensor? AttentionOutput, Tensor? MlpOutput);

/// <summary>
/// <see cref="StructuralMasks"/> made ready for one forward: cast to the activation dtype, moved to the model's device
/// (both recorded, so gradients reach the caller's tensors), and the hidden mask's kept count read once.
/// </summary>
internal sealed class PreparedMasks
{
    private readonly ModelConfig _cfg;
    private readonly Tensor? _heads, _kvHeads, _intermediate, _attnLayers, _mlpLayers;
    public Tensor? Hidden { get; }
    /// <summary>√(H / n_kept) for <see cref="MaskMath.RmsNormKept"/>; 1 when every dim is kept (or none is).</summary>
    public double HiddenKeepScale { get; } = 1;

    public PreparedMasks(StructuralMasks m, ModelConfig cfg, DType dtype, Device device)
    {
        _cfg = cfg;
        Tensor? Ready(Tensor? t)
        {
            if (t is null) return null;
            if (t.DType != dtype) t = t.To(dtype);
            return t.Device == device ? t : t.To(device);
        }
        Hidden = Ready(m.Hidden);
        _heads = Ready(m.Heads); _kvHeads = Ready(m.KvHeads); _intermediate = Ready(m.Intermediate);
        _attnLayers = Ready(m.AttentionLayers); _mlpLayers = Ready(m.MlpLayers);
        if (m.Hidden is not null)
        {
            int kept;
            using (Autograd.NoGrad()) kept = m.Hidden.ToDoubleArray().Count(v => v != 0);
            if (kept > 0 && kept < cfg.HiddenSize) HiddenKeepScale = Math.Sqrt((double)cfg.HiddenSize / kept);
        }
    }

    public LayerMasks ForLayer(int i)
    {
        static Tensor? Row(Tensor? t, int i) => t?.Narrow(0, i, 1).Reshape(t.Size(1));
        static Tensor? Gate(Tensor? t, int i) => t?.Narrow(0, i, 1);
        Tensor? perHead = Row(_heads, i);
        if (Row(_kvHeads, i) is { } kv)
        {
            var expanded = MaskMath.RepeatInterleave(kv, _cfg.KvGroups);
            perHead = perHead is null ? expanded : Ops.Mul(perHead, expanded);
        }
        var context = perHead is null ? null : MaskMath.RepeatInterleave(perHead, _cfg.HeadDim);
        return new LayerMasks(Hidden, HiddenKeepScale, context, Row(_intermediate, i),
            OutputGate(Gate(_attnLayers, i)), OutputGate(Gate(_mlpLayers, i)));
    }

    /// <summary>The factor on a block's output: hidden ⊙ layer gate, whichever exist.</summary>
    private Tensor? OutputGate(Tensor? layer) => (Hidden, layer) switch
    {
        (null, null) => null,
        ({ } h, null) => h,
        (null, { } g) => g,
        ({ } h, { } g) => MaskMath.Scale(h, g),
    };
}
