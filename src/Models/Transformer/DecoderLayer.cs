using Engine.Runtime;

namespace Engine.Models.Transformer;

/// <summary>One pre-norm decoder block: RMSNorm → GQA self-attention (RoPE) → residual → RMSNorm → SwiGLU MLP → residual.</summary>
public sealed class DecoderLayer
{
    public required int Index { get; init; }
    public required Tensor InputNorm { get; init; }
    public required Tensor PostAttentionNorm { get; init; }
    public required LinearLayer Q { get; init; }
    public required LinearLayer K { get; init; }
    public required LinearLayer V { get; init; }
    public required LinearLayer O { get; init; }
    public Tensor? QNorm { get; init; }
    public Tensor? KNorm { get; init; }
    public required LinearLayer Gate { get; init; }
    public required LinearLayer Up { get; init; }
    public required LinearLayer Down { get; init; }

    public IEnumerable<LinearLayer> Linears => [Q, K, V, O, Gate, Up, Down];

    /// <param name="x">[B, T, H] hidden states.</param>
    /// <param name="cos">Rotary tables [B, T, D].</param>
    /// <param name="keyMask">[B, Tpast+T] 1 = attend, 0 = padding; null when nothing is padded.</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? keyMask, IKvCache? cache, Config.ModelConfig cfg)
    {
        int b = x.Size(0), t = x.Size(1), d = cfg.HeadDim;
        var h = Ops.RmsNorm(x, InputNorm, cfg.RmsNormEps);
        var q = Q.Forward(h).Reshape(b, t, cfg.NumHeads, d).Transpose(1, 2);
        var k = K.Forward(h).Reshape(b, t, cfg.NumKvHeads, d).Transpose(1, 2);
        var v = V.Forward(h).Reshape(b, t, cfg.NumKvHeads, d).Transpose(1, 2);
        if (QNorm is not null) q = Ops.RmsNorm(q, QNorm, cfg.RmsNormEps);
        if (KNorm is not null) k = Ops.RmsNorm(k, KNorm, cfg.RmsNormEps);
        q = Ops.Rope(q, cos, sin);
        k = Ops.Rope(k, cos, sin);
        if (cache is not null) (k, v) = cache.Append(Index, k, v);
        var a = Ops.Attention(q, k, v, causal: true, keyMask);
        a = a.Transpose(1, 2).Reshape(b, t, cfg.NumHeads * d);
        x = Ops.Add(x, O.Forward(a));
        h = Ops.RmsNorm(x, PostAttentionNorm, cfg.RmsNormEps);
        var m = Down.Forward(Ops.SwiGlu(Gate.Forward(h), Up.Forward(h)));
        return Ops.Add(x, m);
    }
}
