using Engine.Models.Config;
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

    /// <summary>Every tensor the block reads that may train: norm weights, linear weights and biases, adapters' tensors.</summary>
    internal IEnumerable<Tensor> Tensors()
    {
        yield return InputNorm;
        yield return PostAttentionNorm;
        if (QNorm is not null) yield return QNorm;
        if (KNorm is not null) yield return KNorm;
        foreach (var l in Linears)
        {
            yield return l.Weight;
            if (l.Bias is not null) yield return l.Bias;
            if (l.Adapter?.Target is ILayerAdapter a) foreach (var t in a.AdapterParameters) yield return t;
        }
    }

    /// <summary>The generators of the adapters' random draws (see <see cref="ILayerAdapter"/>), each once.</summary>
    internal IEnumerable<Generator> AdapterGenerators() =>
        Linears.Select(l => (l.Adapter?.Target as ILayerAdapter)?.AdapterGenerator).OfType<Generator>().Distinct();

    /// <param name="x">[B, T, H] hidden states.</param>
    /// <param name="cos">Rotary tables [B, T, D].</param>
    /// <param name="keyMask">[B, Tpast+T] 1 = attend, 0 = padding; null when nothing is padded.</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? keyMask, IKvCache? cache, ModelConfig cfg)
        => Forward(x, cos, sin, keyMask, cache, cfg, LayerHooks.None);

    /// <summary>
    /// The block with the training-time hooks: dropout on the attention probabilities and on each block's output
    /// (before the residual add), and the structural masks (see <see cref="StructuralMasks"/> for where each enters).
    /// </summary>
    internal Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? keyMask, IKvCache? cache, ModelConfig cfg, LayerHooks hooks)
    {
        int b = x.Size(0), t = x.Size(1), d = cfg.HeadDim;
        var z = hooks.Masks;
        var drop = hooks.Dropout;
        var h = Norm(x, InputNorm, cfg, z);
        var q = Q.Forward(h).Reshape(b, t, cfg.NumHeads, d).Transpose(1, 2);
        var k = K.Forward(h).Reshape(b, t, cfg.NumKvHeads, d).Transpose(1, 2);
        var v = V.Forward(h).Reshape(b, t, cfg.NumKvHeads, d).Transpose(1, 2);
        if (QNorm is not null) q = Ops.RmsNorm(q, QNorm, cfg.RmsNormEps);
        if (KNorm is not null) k = Ops.RmsNorm(k, KNorm, cfg.RmsNormEps);
        q = Ops.Rope(q, cos, sin);
        k = Ops.Rope(k, cos, sin);
        if (cache is not null) (k, v) = cache.Append(Index, k, v);
        var a = drop is { Attention: > 0 } ? ComposedAttention.Forward(q, k, v, drop.AttentionMask!, drop.Attention, drop.Generator)
            : Ops.Attention(q, k, v, causal: true, keyMask);
        a = a.Transpose(1, 2).Reshape(b, t, cfg.NumHeads * d);
        if (z?.Context is { } zc) a = Ops.Mul(a, zc);
        x = Ops.Add(x, BlockOutput(O.Forward(a), z?.AttentionOutput, drop));
        h = Norm(x, PostAttentionNorm, cfg, z);
        var m = Ops.SwiGlu(Gate.Forward(h), Up.Forward(h));
        if (z?.Intermediate is { } zi) m = Ops.Mul(m, zi);
        return Ops.Add(x, BlockOutput(Down.Forward(m), z?.MlpOutput, drop));
    }

    private static Tensor Norm(Tensor x, Tensor weight, ModelConfig cfg, LayerMasks? z) =>
        z?.Hidden is { } zh ? MaskMath.RmsNormKept(x, weight, cfg.RmsNormEps, zh, z.HiddenKeepScale) : Ops.RmsNorm(x, weight, cfg.RmsNormEps);

    /// <summary>A block's output as it joins the residual stream: residual dropout (GPT-2's resid_pdrop place), then the masks.</summary>
    private static Tensor BlockOutput(Tensor y, Tensor? gate, DropoutHooks? drop)
    {
        if (drop is { Hidden: > 0 }) y = Ops.Dropout(y, drop.Hidden, drop.Generator, training: true);
        return gate is null ? y : MaskMath.Scale(y, gate);
    }
}

/// <summary>Per-forward extras of a decoder layer; <see cref="None"/> is the plain inference forward.</summary>
internal sealed record LayerHooks(LayerMasks? Masks, DropoutHooks? Dropout)
{
    public static readonly LayerHooks None = new(null, null);
}

/// <summary>Dropout rates in force for this forward (training mode), their generator, and the composed path's mask.</summary>
internal sealed record DropoutHooks(double Attention, double Hidden, Generator Generator, AttentionMask? AttentionMask);
