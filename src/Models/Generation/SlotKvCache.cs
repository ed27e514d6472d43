using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Models.Generation;

/// <summary>
/// The KV cache of continuous batching: a fixed number of slots [S, Hkv, capacity, D] per layer, each slot holding one
/// sequence at its own length. A forward covers a window of consecutive slots; <see cref="Append"/> writes each row's
/// new keys at that row's own length and returns keys up to the longest row, and <see cref="KeyMask"/> hides, per row,
/// the columns past its own length (stale keys of earlier occupants or of shorter rows).
/// </summary>
/// <remarks>
/// Storage starts zeroed and is only ever overwritten with finite keys and values, so hidden columns are finite: a
/// masked probability of exactly 0 times a hidden value is 0, never NaN. Capacity grows by doubling (a copy of every
/// layer) up to <see cref="MaxCapacity"/>.
/// </remarks>
public sealed class SlotKvCache : IKvCache
{
    private readonly Tensor[] _k, _v;
    private readonly int[] _lengths;
    private readonly int _kvHeads, _headDim;
    private readonly DType _dtype;
    private readonly Device _device;
    private int _first, _count, _pending;

    public int Slots { get; }
    public int Capacity { get; private set; }
    public int MaxCapacity { get; }

    public SlotKvCache(int layers, int slots, int kvHeads, int headDim, int initialCapacity, int maxCapacity, DType dtype, Device device)
    {
        if (slots <= 0) throw new ArgumentOutOfRangeException(nameof(slots), "A slot cache needs at least one slot.");
        if (maxCapacity <= 0) throw new ArgumentOutOfRangeException(nameof(maxCapacity), "MaxCapacity must be positive.");
        Slots = slots; MaxCapacity = maxCapacity;
        Capacity = Math.Clamp(initialCapacity, 1, maxCapacity);
        _kvHeads = kvHeads; _headDim = headDim; _dtype = dtype; _device = device;
        _lengths = new int[slots];
        _k = new Tensor[layers]; _v = new Tensor[layers];
        for (int i = 0; i < layers; i++) { _k[i] = NewStorage(Capacity); _v[i] = NewStorage(Capacity); }
        _count = slots;
    }

    public static SlotKvCache For(TransformerModel model, int slots, int maxCapacity, int initialCapacity = 256) =>
        new(model.Config.NumLayers, slots, model.Config.NumKvHeads, model.Config.HeadDim, initialCapacity, maxCapacity, model.ActivationDType, model.Device);

    private Tensor NewStorage(int capacity) => Tensor.Zeros([Slots, _kvHeads, capacity, _headDim], _dtype, _device);

    public int LengthOf(int slot) => _lengths[slot];

    /// <summary>Set a slot's length, e.g. to drop a sequence (0) or after a prefill.</summary>
    public void SetLength(int slot, int length)
    {
        if (length < 0 || length > Capacity) throw new ArgumentOutOfRangeException(nameof(length), $"Slot length {length} outside [0, {Capacity}].");
        _lengths[slot] = length;
    }

    /// <summary>Select slots [first, first + count) as the rows of the next forward.</summary>
    public void Window(int first, int count)
    {
        if (first < 0 || count <= 0 || first + count > Slots) throw new ArgumentOutOfRangeException(nameof(count), $"Window [{first}, {first + count}) outside {Slots} slots.");
        _first = first; _count = count;
    }

    /// <summary>The longest row of the window: key columns before this forward.</summary>
    public int Length
    {
        get
        {
            int m = 0;
            for (int i = _first; i < _first + _count; i++) m = Math.Max(m, _lengths[i]);
            return m;
        }
    }

    /// <summary>Make room for <paramref name="needed"/> columns, doubling the capacity (capped at MaxCapacity).</summary>
    public void EnsureCapacity(int needed)
    {
        if (needed <= Capacity) return;
        if (needed > MaxCapacity) throw new InvalidOperationException($"KV cache slot needs {needed} positions, more than the maximum {MaxCapacity}.");
        int cap = Math.Min(MaxCapacity, Math.Max(needed, Capacity * 2));
        using var _ = Autograd.NoGrad();
        for (int i = 0; i < _k.Length; i++)
        {
            var k = NewStorage(cap); var v = NewStorage(cap);
            _k[i].CopyTo(k.Narrow(2, 0, Capacity));
            _v[i].CopyTo(v.Narrow(2, 0, Capacity));
            _k[i] = k; _v[i] = v;
        }
        Capacity = cap;
    }

    /// <summary>
    /// The key mask [count, Length + t] of a forward of t tokens per row: row i sees its first lengths[i] + t columns.
    /// Null when every row of the window has the same length (nothing to hide).
    /// </summary>
    public Tensor? KeyMask(int t)
    {
        int past = Length;
        bool ragged = false;
        for (int i = _first; i < _first + _count; i++) ragged |= _lengths[i] != past;
        if (!ragged) return null;
        int cols = past + t;
        var m = new byte[_count * cols];
        for (int r = 0; r < _count; r++) Array.Fill(m, (byte)1, r * cols, _lengths[_first + r] + t);
        var mask = Tensor.FromArray(m, _count, cols);
        return _device.IsCpu ? mask : mask.To(_device);
    }

    public (Tensor k, Tensor v) Append(int layer, Tensor k, Tensor v)
    {
        int rows = k.Size(0), t = k.Size(2), past = Length;
        if (rows != _count) throw new ArgumentException($"SlotKvCache: the forward has {rows} rows but the window has {_count}.");
        if (past + t > Capacity) throw new InvalidOperationException($"SlotKvCache full: {past} + {t} > capacity {Capacity} (call EnsureCapacity first).");
        using (Autograd.NoGrad())
        {
            var ks = _k[layer].Narrow(0, _first, _count);
            var vs = _v[layer].Narrow(0, _first, _count);
            if (Uniform(past))
            {
                k.CopyTo(ks.Narrow(2, past, t));
                v.CopyTo(vs.Narrow(2, past, t));
            }
            else
                for (int r = 0; r < rows; r++)
                {
                    int at = _lengths[_first + r];
                    k.Narrow(0, r, 1).CopyTo(ks.Narrow(0, r, 1).Narrow(2, at, t));
                    v.Narrow(0, r, 1).CopyTo(vs.Narrow(0, r, 1).Narrow(2, at, t));
                }
            _pending = t;
            return (ks.Narrow(2, 0, past + t), vs.Narrow(2, 0, past + t));
        }
    }

    private bool Uniform(int past)
    {
        for (int i = _first; i < _first + _count; i++) if (_lengths[i] != past) return false;
        return true;
    }

    public void Commit()
    {
        for (int i = _first; i < _first + _count; i++) _lengths[i] += _pending;
        _pending = 0;
    }

    /// <summary>Copy slot <paramref name="from"/>'s keys and values and length into slot <paramref name="to"/>.</summary>
    public void CopySlot(int from, int to)
    {
        if (from == to) return;
        int len = _lengths[from];
        if (len > 0)
            using (Autograd.NoGrad())
                for (int i = 0; i < _k.Length; i++)
                {
                    _k[i].Narrow(0, from, 1).Narrow(2, 0, len).CopyTo(_k[i].Narrow(0, to, 1).Narrow(2, 0, len));
                    _v[i].Narrow(0, from, 1).Narrow(2, 0, len).CopyTo(_v[i].Narrow(0, to, 1).Narrow(2, 0, len));
                }
        _lengths[to] = len;
    }
}
