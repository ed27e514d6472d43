using Engine.Runtime;
using Engine.Runtime.Distributed;
using Engine.Runtime.Optim;

namespace Engine.Methods.Training.Distributed;

/// <summary>
/// ZeRO stage 1 for the model's two AdamW groups (decayed, not decayed): the trained tensors, laid end to end (decayed
/// first) and padded to a multiple of the world size, are cut into one contiguous block per rank. A step reduce-scatters
/// the gradients (each rank receives the summed gradient of its block only), computes the global norm from the blocks,
/// clips, runs AdamW on its block with its block's moments, and all-gathers the parameters. Each rank thus holds
/// 2/world of the moments a plain run holds. The update is element-wise AdamW on the same summed gradients, so it
/// matches plain data parallelism except for the clipping factor, whose norm is summed in another order (≤ 1 ulp of
/// the factor). A tensor with no gradient on any rank is updated with a zero gradient here (plain AdamW skips it).
/// </summary>
public sealed class ZeroShardedAdamW
{
    private readonly ICommunicator _comm;
    private readonly Tensor[] _params;
    private readonly long[] _offsets;
    private readonly long _decayed, _total, _block, _first;
    private readonly Tensor _master, _grad;
    private readonly (AdamW Opt, long Start, long Length)[] _segments;
    private readonly Device _device;

    public ZeroShardedAdamW(IReadOnlyList<Tensor> decayed, IReadOnlyList<Tensor> notDecayed, TrainerOptions o, ICommunicator comm)
    {
        _comm = comm;
        _params = [.. decayed, .. notDecayed];
        _offsets = new long[_params.Length + 1];
        for (int i = 0; i < _params.Length; i++) _offsets[i + 1] = _offsets[i] + _params[i].NumElements;
        _decayed = _offsets[decayed.Count];
        _total = _offsets[^1];
        _block = Math.Max(1, (_total + comm.Size - 1) / comm.Size);
        if (_block > int.MaxValue) throw new NotSupportedException($"ZeRO-1: a block of {_block} elements per rank is too large; use more processes.");
        _first = _block * comm.Rank;
        _device = _params.Length > 0 ? _params[0].Device : comm.Device;
        _master = Tensor.Zeros([(int)_block], DType.F32, _device);
        _grad = Tensor.Zeros([(int)_block], DType.F32, _device);
        var segs = new List<(AdamW, long, long)>();
        // The block's overlap with the decayed range, then with the not-decayed range (the padding past the end is never updated).
        foreach (var (lo, hi, wd) in new[] { (0L, _decayed, o.WeightDecay), (_decayed, _total, 0.0) })
        {
            long a = Math.Max(lo, _first), b = Math.Min(hi, _first + _block);
            if (b <= a) continue;
            var view = _master.Narrow(0, (int)(a - _first), (int)(b - a));
            segs.Add((new AdamW([view], o.LearningRate, o.Beta1, o.Beta2, o.AdamEpsilon, wd), a, b - a));
        }
        _segments = [.. segs];
    }

    public long StepCount { get; private set; }
    /// <summary>Elements of optimizer state (moments) this rank holds: 2 × its block.</summary>
    public long StateElements => 2 * _segments.Sum(s => s.Length);

    private Tensor Flat()
    {
        var flat = Tensor.Zeros([(int)(_block * _comm.Size)], DType.F32, _device);
        return flat;
    }

    /// <summary>Reduce-scatter the accumulated gradients into this rank's block; returns the block's Σg² (before clipping).</summary>
    public double ReduceGradients()
    {
        using var _ = Autograd.NoGrad();
        var flat = Flat();
        for (int i = 0; i < _params.Length; i++)
            if (_params[i].Grad is { } g) g.Contiguous().Reshape((int)_params[i].NumElements).CopyTo(flat.Narrow(0, (int)_offsets[i], (int)_params[i].NumElements));
        _comm.ReduceScatterSum(flat, _grad);
        return Backend.Of(_grad).SumOfSquares(_grad);
    }

    /// <summary>Scale this rank's gradient block (clipping by the global norm).</summary>
    public void Scale(double factor)
    {
        using var _ = Autograd.NoGrad();
        Backend.Of(_grad).ScaleInPlace(_grad, factor);
    }

    /// <summary>AdamW on this rank's block at <paramref name="lr"/>, then every rank gets every updated parameter.</summary>
    public void Step(double lr)
    {
        using var _ = Autograd.NoGrad();
        StepCount++;
        // The block's master values are the parameters' current values (a resume or a method may have set them).
        var flat = Flat();
        for (int i = 0; i < _params.Length; i++) _params[i].Contiguous().Reshape((int)_params[i].NumElements).CopyTo(flat.Narrow(0, (int)_offsets[i], (int)_params[i].NumElements));
        flat.Narrow(0, (int)_first, (int)_block).CopyTo(_master);
        foreach (var (opt, start, len) in _segments)
        {
            opt.Parameters[0].Grad = _grad.Narrow(0, (int)(start - _first), (int)len);
            opt.LearningRate = lr;
            opt.Step();
        }
        _comm.AllGather(_master, flat);
        for (int i = 0; i < _params.Length; i++)
            flat.Narrow(0, (int)_offsets[i], (int)_params[i].NumElements).Reshape(_params[i].ShapeArray()).CopyTo(_params[i]);
        Autocast.MarkUpdated(_params);
    }

    public void ZeroGrad() { foreach (var p in _params) p.ZeroGrad(); }

    /// <summary>Every parameter's moments (m, v), gathered from all ranks (a collective), in parameter order.</summary>
    public IReadOnlyList<(Tensor m, Tensor v)> GatherMoments()
    {
        using var _ = Autograd.NoGrad();
        var mine = new[] { Tensor.Zeros([(int)_block], DType.F32, _device), Tensor.Zeros([(int)_block], DType.F32, _device) };
        foreach (var (opt, start, len) in _segments)
        {
            opt.State[0].m.CopyTo(mine[0].Narrow(0, (int)(start - _first), (int)len));
            opt.State[0].v.CopyTo(mine[1].Narrow(0, (int)(start - _first), (int)len));
        }
        var full = mine.Select(b => { var f = Flat(); _comm.AllGather(b, f); return f; }).ToArray();
        return _params.Select((p, i) => (Slice(full[0], i), Slice(full[1], i))).ToList();

        Tensor Slice(Tensor f, int i) => f.Narrow(0, (int)_offsets[i], (int)_params[i].NumElements).Reshape(_params[i].ShapeArray()).Contiguous();
    }

    /// <summary>Restore from every parameter's full moments (as a plain run saves them): this rank keeps its block.</summary>
    public void LoadMoments(long stepCount, IReadOnlyList<(Tensor m, Tensor v)> moments)
    {
        if (moments.Count != _params.Length) throw new ArgumentException($"ZeRO-1: {moments.Count} moment pairs for {_params.Length} parameters.");
        using var _ = Autograd.NoGrad();
        var full = new[] { Flat(), Flat() };
        for (int i = 0; i < _params.Length; i++)
        {
            int n = (int)_params[i].NumElements;
            moments[i].m.To(DType.F32).To(_device).Contiguous().Reshape(n).CopyTo(full[0].Narrow(0, (int)_offsets[i], n));
            moments[i].v.To(DType.F32).To(_device).Contiguous().Reshape(n).CopyTo(full[1].Narrow(0, (int)_offsets[i], n));
        }
        foreach (var (opt, start, len) in _segments)
            opt.LoadState(stepCount, [(full[0].Narrow(0, (int)start, (int)len), full[1].Narrow(0, (int)start, (int)len))]);
        StepCount = stepCount;
    }
}
