using Engine.Runtime;

namespace Engine.Models.Transformer;

public sealed partial class TransformerModel
{
    /// <summary>
    /// Final hidden states [B, T, H] for token ids [B, T]. <paramref name="keyMask"/> [B, Tpast+T] (1 keep, 0 pad) and
    /// <paramref name="positions"/> [B, T] default to no padding and positions Tpast..Tpast+T−1.
    /// </summary>
    public Tensor ForwardHidden(Tensor ids, Tensor? keyMask = null, long[]? positions = null, IKvCache? cache = null)
    {
        CheckIds(ids);
        return Run(Embed(ids), keyMask, positions, cache, Config.NumLayers);
    }

    /// <summary>
    /// Final hidden states [B, T, H] for input embeddings [B, T, H] instead of ids (transformers' <c>inputs_embeds</c>):
    /// token embeddings from <see cref="Embed"/>, or any vectors in the embedding space (<see cref="EmbedWithSplices"/>).
    /// Padding mask, positions and KV cache as in <see cref="ForwardHidden"/>: prefill from embeddings, then decode from
    /// ids with the same cache. Gradients flow into <paramref name="inputsEmbeds"/>.
    /// </summary>
    public Tensor ForwardHiddenFromEmbeddings(Tensor inputsEmbeds, Tensor? keyMask = null, long[]? positions = null, IKvCache? cache = null)
    {
        if (inputsEmbeds.Rank != 3 || inputsEmbeds.Size(2) != Config.HiddenSize)
            throw new ArgumentException($"inputsEmbeds must be [batch, time, {Config.HiddenSize}], got {inputsEmbeds.ShapeString}.");
        return Run(ToActivations(inputsEmbeds), keyMask, positions, cache, Config.NumLayers);
    }

    /// <summary>Logits [B, T, V] for input embeddings [B, T, H] (see <see cref="ForwardHiddenFromEmbeddings"/>).</summary>
    public Tensor ForwardFromEmbeddings(Tensor inputsEmbeds, Tensor? keyMask = null, long[]? positions = null, IKvCache? cache = null)
        => Logits(ForwardHiddenFromEmbeddings(inputsEmbeds, keyMask, positions, cache));

    /// <summary>
    /// transformers' <c>hidden_states[layer]</c> for token ids [B, T]: 0 is the embeddings, i (1 ≤ i &lt; L) the output of
    /// decoder layer i−1, L the final hidden states (after the final norm, as <see cref="ForwardHidden"/>). Runs only
    /// the layers it needs; no KV cache.
    /// </summary>
    public Tensor HiddenStates(Tensor ids, Tensor? keyMask, int layer)
    {
        CheckIds(ids);
        if (layer < 0 || layer > Config.NumLayers) throw new ArgumentOutOfRangeException(nameof(layer), $"layer must be in [0, {Config.NumLayers}], got {layer}.");
        return Run(Embed(ids), keyMask, null, null, layer);
    }

    /// <summary>Logits [.., V] from hidden states [.., H].</summary>
    public Tensor Logits(Tensor hidden)
    {
        using var scope = ComputeDType is { } cd ? Autocast.Enable(cd) : null;
        return Ops.Linear(hidden, LmHead);
    }

    /// <summary>Logits [B, T, V] for token ids [B, T].</summary>
    public Tensor Forward(Tensor ids, Tensor? keyMask = null, long[]? positions = null, IKvCache? cache = null)
        => Logits(ForwardHidden(ids, keyMask, positions, cache));

    /// <summary>
    /// The decoder over embeddings x [B, T, H]: the first <paramref name="layers"/> layers, and the final norm when that
    /// is all of them. Hooks in force: <see cref="Masks"/>, and dropout when <see cref="Training"/>.
    /// </summary>
    private Tensor Run(Tensor x, Tensor? keyMask, long[]? positions, IKvCache? cache, int layers)
    {
        int b = x.Size(0), t = x.Size(1), past = cache?.Length ?? 0;
        if (keyMask is not null && (keyMask.Rank != 2 || keyMask.Size(0) != b || keyMask.Size(1) != past + t))
            throw new ArgumentException($"keyMask must be [{b}, {past + t}], got {keyMask.ShapeString}.");
        if (positions is not null && positions.Length != b * t)
            throw new ArgumentException($"positions must hold batch × time = {b * t} values, got {positions.Length}.");
        positions ??= DefaultPositions(b, t, past);
        var pos = Tensor.FromArray(positions, b, t);
        using var scope = ComputeDType is { } cd ? Autocast.Enable(cd) : null;
        var (cos, sin) = Rotary.Tables(pos, ActivationDType);
        if (!Device.IsCpu) { cos = cos.To(Device); sin = sin.To(Device); }
        var masks = Masks is { IsEmpty: false } m ? new PreparedMasks(m, Config, ActivationDType, Device) : null;
        var dropout = ActiveDropout(keyMask, b, t, past + t);
        if (masks?.Hidden is { } zh) x = Ops.Mul(x, zh);
        for (int i = 0; i < layers; i++)
        {
            var hooks = masks is null && dropout is null ? LayerHooks.None : new LayerHooks(masks?.ForLayer(i), dropout);
            x = Checkpointed(hooks, cache) ? CheckpointedLayer(Layers[i], x, cos, sin, keyMask, hooks)
                : Layers[i].Forward(x, cos, sin, keyMask, cache, Config, hooks);
        }
        cache?.Commit();
        if (layers < Config.NumLayers) return x;
        return masks?.Hidden is { } z ? MaskMath.RmsNormKept(x, FinalNorm, Config.RmsNormEps, z, masks.HiddenKeepScale) : Ops.RmsNorm(x, FinalNorm, Config.RmsNormEps);
    }

    private static void CheckIds(Tensor ids)
    {
        if (ids.Rank != 2) throw new ArgumentException($"ids must be [batch, time], got {ids.ShapeString}.");
    }
}
