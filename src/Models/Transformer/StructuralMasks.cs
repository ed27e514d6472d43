using Engine.Models.Config;
using Engine.Runtime;

namespace Engine.Models.Transformer;

/// <summary>
/// Optional structural masks multiplied into the forward (LLM-Shearing / DRPruning's z variables). Every mask is
/// optional and may be a leaf that requires grad (the L0 masks' samples): the forward is differentiable with respect to
/// each. Set on <see cref="TransformerModel.Masks"/>; a model without masks runs the plain forward, untouched.
///
/// Where each mask enters (L layers, H hidden, Hq query heads, Hkv KV heads, I intermediate):
/// <list type="bullet">
/// <item><see cref="Hidden"/> [H] (<c>hidden_z</c>): the input embeddings, every attention and MLP output before it
/// joins the residual stream, and the output of every RMSNorm; each RMSNorm's mean square is taken over the kept
/// (non-zero) dims only, Σ_kept x² / n_kept, so the residual stream of a pruned model is exactly that of the dense
/// smaller model.</item>
/// <item><see cref="Heads"/> [L, Hq] (<c>head_z</c>): each query head's attention output (context) before o_proj.</item>
/// <item><see cref="KvHeads"/> [L, Hkv] (DRPruning's GQA variant): multiplies the context of every query head that shares
/// the KV head (repeat-interleaved over its Hq/Hkv query heads), so a zero removes the whole group. A
/// <see cref="Heads"/> zero on a GQA model removes one query head; its K/V stay while another head of the group uses them.</item>
/// <item><see cref="Intermediate"/> [L, I] (<c>intermediate_z</c>): each SwiGLU unit, silu(gate)·up·z, before down_proj.</item>
/// <item><see cref="AttentionLayers"/> [L] (<c>head_layer_z</c>) and <see cref="MlpLayers"/> [L] (<c>mlp_z</c>): the whole
/// attention or MLP output of a layer. DRPruning's single <c>layer</c> mask is the same tensor in both.</item>
/// </list>
/// </summary>
public sealed class StructuralMasks
{
    /// <summary>[H]: per hidden dimension, shared by all layers.</summary>
    public Tensor? Hidden { get; init; }
    /// <summary>[L, Hq]: per query head.</summary>
    public Tensor? Heads { get; init; }
    /// <summary>[L, Hkv]: per KV head (GQA group).</summary>
    public Tensor? KvHeads { get; init; }
    /// <summary>[L, I]: per MLP intermediate unit.</summary>
    public Tensor? Intermediate { get; init; }
    /// <summary>[L]: per layer, the attention block's output.</summary>
    public Tensor? AttentionLayers { get; init; }
    /// <summary>[L]: per layer, the MLP block's output.</summary>
    public Tensor? MlpLayers { get; init; }

    /// <summary>True when no mask is set.</summary>
    public bool IsEmpty => Hidden is null && Heads is null && KvHeads is null && Intermediate is null && AttentionLayers is null && MlpLayers is null;

    /// <summary>Throw an error naming the mask when a shape or dtype does not fit <paramref name="cfg"/>.</summary>
    public void Validate(ModelConfig cfg)
    {
        int l = cfg.NumLayers;
        Check(Hidden, nameof(Hidden), [cfg.HiddenSize]);
        Check(Heads, nameof(Heads), [l, cfg.NumHeads]);
        Check(KvHeads, nameof(KvHeads), [l, cfg.NumKvHeads]);
        Check(Intermediate, nameof(Intermediate), [l, cfg.IntermediateSize]);
        Check(AttentionLayers, nameof(AttentionLayers), [l]);
        Check(MlpLayers, nameof(MlpLayers), [l]);
    }

    private static void Check(Tensor? mask, string name, int[] shape)
    {
        if (mask is null) return;
        if (!mask.DType.IsFloat()) throw new ArgumentException($"StructuralMasks.{name} must be a float tensor, got {mask.DType}.");
        if (!mask.Shape.SequenceEqual(shape))
            throw new ArgumentException($"StructuralMasks.{name} must be [{string.Join(", ", shape)}] for this model, got {mask.ShapeString}.");
    }
}
