using Engine.Runtime;

namespace Engine.Models.Transformer;

/// <summary>
/// Keys and values of past positions, per layer, preallocated to a capacity: [B, Hkv, capacity, D].
/// Append writes the new step in place and returns views of everything so far.
/// </summary>
public sealed class KvCache : IKvCache
{
    private readonly Tensor[] _k, _v;
    public int Capacity { get; }
    public int Length { get; private set; }
    private int _pending;

    public KvCache(int layers, int batch, int kvHeads, int capacity, int headDim, DType dtype, Device device)
    {
        Capacity = capacity;
        _k = new Tensor[layers]; _v = new Tensor[layers];
        for (int i = 0; i < layers; i++)
        {
            _k[i] = Tensor.Empty([batch, kvHeads, capacity, headDim], dtype, device);
            _v[i] = Tensor.Empty([batch, kvHeads, capacity, headDim], dtype, device);
        }
    }

    public (Tensor k, Tensor v) Append(int layer, Tensor k, Tensor v)
    {
        int t = k.Size(2);
        if (Length + t > Capacity) throw new InvalidOperationException($"KV cache full: {Length} + {t} > capacity {Capacity}.");
        using (Autograd.NoGrad())
        {
            k.CopyTo(_k[layer].Narrow(2, Length, t));
            v.CopyTo(_v[layer].Narrow(2, Length, t));
        }
        _pending = t;
        return (_k[layer].Narrow(2, 0, Length + t), _v[layer].Narrow(2, 0, Length + t));
    }

    /// <summary>Called once per forward after all layers appended.</summary>
    public void Commit() { Length += _pending; _pending = 0; }

    /// <summary>Keep only the first <paramref name="length"/> positions (speculative rollback, reuse).</summary>
    public void Truncate(int length) => Length = Math.Clamp(length, 0, Length);
}
