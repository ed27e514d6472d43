using Engine.Runtime;
using Engine.Runtime.Distributed;

namespace Engine.Methods.Training.Distributed;

/// <summary>
/// One optimizer step's gradient all-reduce, in buckets that start while the backward still runs (PyTorch DDP's
/// scheme). The tensors are laid out once in reverse order (the backward finishes the last layers first), cut into
/// buckets of about <c>bucketElements</c>; a tensor's gradient is copied into its bucket as soon as the backward can add
/// nothing more to it (<see cref="Autograd.OnLeafGradientFinal"/>; at once for tensors that backward does not reach),
/// and from then on its Grad is a view of the bucket,
/// so the original is freed. A bucket whose tensors are all final starts its all-reduce
/// (<see cref="ICommunicator.StartAllReduceSum"/>), always in bucket order, so every rank starts the same collectives
/// in the same order whatever order its backward finished them. <see cref="Finish"/> takes the tensors the backward
/// never reached, starts the remaining buckets, waits for all, and keeps a gradient only on tensors that have one on
/// some rank (the others keep none, so AdamW skips them as a single process would). Tensors that need no gradient
/// (frozen) take no slot.
/// The sums are element-wise over ranks, so they are the same numbers whatever the bucket layout or the overlap.
/// </summary>
public sealed class GradientBuckets
{
    private readonly ICommunicator _comm;
    private readonly IReadOnlyList<Tensor> _tensors;
    private readonly Dictionary<Tensor, int> _index = new(ReferenceEqualityComparer.Instance);
    private readonly int[] _bucketOf;
    private readonly long[] _offset;
    private readonly bool[] _final, _hasGrad;
    private readonly List<(long Size, DType DType, Device Device)> _buckets = [];
    private readonly int[] _waiting;
    private readonly Tensor?[] _flat;
    private readonly IPendingCollective?[] _pending;
    private int _nextStart;
    private bool _finished;

    public GradientBuckets(ICommunicator comm, IReadOnlyList<Tensor> tensors, long bucketElements)
    {
        _comm = comm;
        tensors = tensors.Where(t => t.RequiresGrad).ToList(); // frozen tensors never get a gradient: no slot
        _tensors = tensors;
        int n = tensors.Count;
        _bucketOf = new int[n]; _offset = new long[n]; _final = new bool[n]; _hasGrad = new bool[n];
        var counts = new List<int>();
        long size = 0;
        for (int i = n - 1; i >= 0; i--)
        {
            var t = tensors[i];
            if (!_index.TryAdd(t, i)) throw new ArgumentException("GradientBuckets: a tensor is listed twice.");
            bool fresh = _buckets.Count == 0 || (size > 0 && size + t.NumElements > bucketElements)
                         || _buckets[^1].DType != t.DType || _buckets[^1].Device != t.Device;
            if (fresh) { _buckets.Add((0, t.DType, t.Device)); counts.Add(0); size = 0; }
            if (size + t.NumElements > int.MaxValue) throw new NotSupportedException($"A gradient of {t.NumElements} elements is larger than one bucket can hold.");
            _bucketOf[i] = _buckets.Count - 1; _offset[i] = size;
            size += t.NumElements;
            _buckets[^1] = _buckets[^1] with { Size = size };
            counts[^1]++;
        }
        _waiting = [.. counts];
        _flat = new Tensor?[_buckets.Count];
        _pending = new IPendingCollective?[_buckets.Count];
    }

    /// <summary>Number of buckets (for tests and logs).</summary>
    public int BucketCount => _buckets.Count;

    /// <summary>Scope for the step's last backward on this rank: tensors are taken into their buckets as they become final.</summary>
    public IDisposable Observe() => Autograd.OnLeafGradientFinal(TakeIfListed, TakeUnreached);

    // Tensors this backward does not reach are final already: take them first, so their buckets need not wait for Finish.
    private void TakeUnreached(Func<Tensor, bool> reaches)
    {
        for (int i = _tensors.Count - 1; i >= 0; i--)
            if (!_final[i] && !reaches(_tensors[i])) Take(i);
    }

    private void TakeIfListed(Tensor t)
    {
        if (_index.TryGetValue(t, out int i) && !_final[i]) Take(i);
    }

    private void Take(int i)
    {
        _final[i] = true;
        int b = _bucketOf[i];
        var p = _tensors[i];
        if (p.Grad is { } g)
        {
            using var _ = Autograd.NoGrad();
            var slot = Slot(i);
            g.Contiguous().Reshape(slot.ShapeArray()).CopyTo(slot);
            p.Grad = slot; // the bucket holds it now; after the sum it holds the sum
            _hasGrad[i] = true;
        }
        if (--_waiting[b] == 0) StartReadyBuckets();
    }

    /// <summary>Tensor <paramref name="i"/>'s place in its bucket, shaped as the tensor.</summary>
    private Tensor Slot(int i) => Flat(_bucketOf[i]).Narrow(0, (int)_offset[i], (int)_tensors[i].NumElements).Reshape(_tensors[i].ShapeArray());

    private Tensor Flat(int b)
    {
        var (size, dtype, device) = _buckets[b];
        return _flat[b] ??= Tensor.Zeros([(int)size], dtype, device); // zeros: tensors without a gradient here add nothing
    }

    private void StartReadyBuckets()
    {
        while (_nextStart < _buckets.Count && _waiting[_nextStart] == 0)
        {
            _pending[_nextStart] = _comm.StartAllReduceSum(Flat(_nextStart));
            _nextStart++;
        }
    }

    /// <summary>Take every tensor not yet final, finish every bucket's sum, and set each gradient to its summed view (or none).</summary>
    public void Finish()
    {
        if (_finished) throw new InvalidOperationException("GradientBuckets.Finish was already called for this step.");
        _finished = true;
        for (int i = _tensors.Count - 1; i >= 0; i--) if (!_final[i]) Take(i);
        foreach (var p in _pending) p!.Wait();
        var flags = new double[_tensors.Count];
        for (int i = 0; i < flags.Length; i++) flags[i] = _hasGrad[i] ? 1 : 0;
        _comm.AllReduceSum(flags);
        using var _ = Autograd.NoGrad();
        // A tensor with a gradient here already points into its bucket; one with a gradient only elsewhere gets its slot.
        for (int i = 0; i < _tensors.Count; i++)
            if (flags[i] == 0) _tensors[i].Grad = null;
            else if (!_hasGrad[i]) _tensors[i].Grad = Slot(i);
    }
}
