using Engine.Runtime;

namespace Engine.Models.Transformer;

/// <summary>
/// What a decoder layer needs from a key/value cache: store this forward's keys and values, get back everything each
/// row may attend to. <see cref="KvCache"/> keeps one shared length for the batch; continuous batching keeps one per
/// row (Engine.Models.Generation.SlotKvCache).
/// </summary>
public interface IKvCache
{
    /// <summary>Key columns before this forward: the Tpast of the key mask [B, Tpast + T] the forward takes.</summary>
    int Length { get; }

    /// <summary>Store k/v [B, Hkv, T, D] of <paramref name="layer"/>; returns the keys and values [B, Hkv, Tpast + T, D] to attend over.</summary>
    (Tensor k, Tensor v) Append(int layer, Tensor k, Tensor v);

    /// <summary>Called once per forward after all layers appended.</summary>
    void Commit();
}
