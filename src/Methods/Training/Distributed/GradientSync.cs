using Engine.Runtime;
using Engine.Runtime.Distributed;

namespace Engine.Methods.Training.Distributed;

/// <summary>
/// Sums every rank's accumulated gradients into every rank, in buckets of about <see cref="BucketElements"/> elements
/// (one collective per bucket instead of one per tensor). A tensor that has a gradient on some rank but not on this one
/// (no example of this rank reached it, or this rank had no examples) contributes zeros; a tensor that has none
/// anywhere keeps none, so AdamW skips it as a single process would. After the sum each gradient is a view of its
/// bucket. The all-reduce runs after the backward of the last micro-batch, not overlapped with it.
/// </summary>
public sealed class GradientSync(ICommunicator comm, long bucketElements = 1L << 22)
{
    public long BucketElements { get; } = bucketElements;

    public void AllReduce(IReadOnlyList<Tensor> parameters)
    {
        if (!comm.RunsCollectives()) return;
        var flags = new double[parameters.Count];
        for (int i = 0; i < flags.Length; i++) flags[i] = parameters[i].Grad is null ? 0 : 1;
        comm.AllReduceSum(flags);
        using var _ = Autograd.NoGrad();
        var bucket = new List<Tensor>();
        long size = 0;
        for (int i = 0; i < parameters.Count; i++)
        {
            if (flags[i] == 0) continue;
            var p = parameters[i];
            if (size > 0 && size + p.NumElements > BucketElements) { Flush(bucket, size); bucket.Clear(); size = 0; }
            bucket.Add(p); size += p.NumElements;
        }
        if (size > 0) Flush(bucket, size);
    }

    private void Flush(List<Tensor> bucket, long size)
    {
        if (size > int.MaxValue) throw new NotSupportedException($"A gradient of {size} elements is larger than one bucket can hold.");
        var device = bucket[0].Device;
        var flat = Tensor.Zeros([(int)size], bucket[0].DType, device);
        long at = 0;
        foreach (var p in bucket)
        {
            int n = (int)p.NumElements;
            if (p.Grad is { } g) g.Contiguous().Reshape(n).CopyTo(flat.Narrow(0, (int)at, n));
            at += n;
        }
        comm.AllReduceSum(flat);
        at = 0;
        foreach (var p in bucket)
        {
            int n = (int)p.NumElements;
            p.Grad = flat.Narrow(0, (int)at, n).Reshape(p.ShapeArray());
            at += n;
        }
    }
}
