using Engine.Methods.Training.Distributed;
using Engine.Runtime;
using Engine.Runtime.Distributed;

namespace Engine.Tests.Distributed;

/// <summary>
/// The pieces of the all-reduce overlapped with the backward: the autograd hook that says when a leaf's gradient is
/// final, and the buckets that start their sums from it, in order, during the backward.
/// </summary>
public class GradientBucketsTests
{
    private static Tensor Param(ulong seed, params int[] shape)
    {
        var t = Tensor.RandN(shape, seed, 0.5);
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>
    /// A graph with every way a leaf gets its gradient: a weight used twice, one inside a checkpointed segment (a nested
    /// backward), one used by every block of a row-blocked checkpoint (a nested backward per block) and again outside
    /// it. The hook must fire once per leaf, at a moment its Grad already equals the final one.
    /// </summary>
    [Fact]
    public void TheLeafHookFiresOncePerLeafWhenItsGradientIsComplete()
    {
        Tensor w1 = Param(1, 4, 5), w2 = Param(2, 5, 5), w3 = Param(3, 5, 3), w4 = Param(4, 3, 2), unused = Param(5, 3);
        var frozen = Tensor.RandN([2, 2], 6, 0.5);
        var x = Tensor.RandN([8, 4], 7);
        Tensor Loss()
        {
            var h = Ops.Tanh(Ops.MatMul(x, w1));
            h = Ops.Tanh(Ops.MatMul(Ops.Tanh(Ops.MatMul(h, w2)), w2));
            var seg = Checkpoint.Run(i => Ops.Tanh(Ops.MatMul(i[0], w3)), [h], [w3]);
            var rows = Checkpoint.RunByRows((b, _) => Ops.MatMul(Ops.MatMul(b, w4), frozen), seg, blockRows: 3, [w4]);
            return Ops.Add(Ops.Sum(Ops.Mul(rows, rows)), Ops.Sum(Ops.Mul(w4, w4)));
        }
        var calls = new Dictionary<Tensor, List<float[]>>(ReferenceEqualityComparer.Instance);
        using (Autograd.OnLeafGradientFinal(t =>
               {
                   if (!calls.TryGetValue(t, out var l)) calls[t] = l = [];
                   l.Add(t.Grad!.ToFloatArray());
               }))
            Loss().Backward();
        foreach (var w in new[] { w1, w2, w3, w4 })
        {
            Assert.True(calls.TryGetValue(w, out var seen), "a trained weight was never reported final");
            Assert.Single(seen);
            Assert.Equal(w.Grad!.ToFloatArray(), seen[0]);
        }
        Assert.False(calls.ContainsKey(unused)); // not reached by this backward: Finish takes it
        Assert.False(calls.ContainsKey(frozen));
        Assert.Equal(4, calls.Count); // x and frozen need no gradient; nested backwards' detached inputs are not reported

        // Outside the scope nothing is reported.
        foreach (var w in new[] { w1, w2, w3, w4 }) w.ZeroGrad();
        calls.Clear();
        Loss().Backward();
        Assert.Empty(calls);
    }

    /// <summary>Two ranks with equal gradients, seen from rank 0: every sum is twice the input, and only after Wait.</summary>
    private sealed class TwoEqualRanks : ICommunicator
    {
        public bool InBackward;
        public readonly List<(long Elements, bool DuringBackward)> Started = [];
        private readonly List<Deferred> _open = [];

        private sealed class Deferred(Tensor t) : IPendingCollective
        {
            private bool _done;
            public void Wait() { if (_done) return; _done = true; Double(t); }
        }

        private static void Double(Tensor t)
        {
            using var _ = Autograd.NoGrad();
            Ops.Add(t, t).CopyTo(t);
        }

        public string Backend => "test";
        public int Rank => 0;
        public int Size => 2;
        public Device Device => Device.Cpu;
        public IPendingCollective StartAllReduceSum(Tensor tensor)
        {
            Started.Add((tensor.NumElements, InBackward));
            var d = new Deferred(tensor);
            _open.Add(d);
            return d;
        }
        public void AllReduceSum(Tensor tensor) { foreach (var d in _open) d.Wait(); Double(tensor); }
        public void AllReduceSum(Span<double> values) { foreach (var d in _open) d.Wait(); foreach (ref var v in values) v *= 2; }
        public void ReduceScatterSum(Tensor input, Tensor output) => throw new NotSupportedException();
        public void AllGather(Tensor input, Tensor output) => throw new NotSupportedException();
        public void Broadcast(Tensor tensor, int root) => throw new NotSupportedException();
        public void Barrier() { }
        public void Broadcast(Span<byte> bytes, int root) => throw new NotSupportedException();
        public void Dispose() { }
    }

    [Fact]
    public void BucketsStartDuringTheLastBackwardInOrderAndSumWhatTheBackwardAccumulated()
    {
        var ws = new[] { Param(11, 6, 7), Param(12, 7, 7), Param(13, 7, 5), Param(14, 5, 4), Param(15, 4, 3) };
        var unreached = Param(16, 9);
        var frozen = Tensor.RandN([3, 3], 17);
        var all = new List<Tensor> { ws[0], frozen, ws[1], ws[2], unreached, ws[3], ws[4] };
        Tensor Loss(ulong seed)
        {
            var h = Tensor.RandN([5, 6], seed);
            foreach (var w in ws) h = Ops.Tanh(Ops.MatMul(h, w));
            return Ops.Sum(Ops.Mul(h, h));
        }
        // Reference: two micro-batches accumulated, no buckets.
        Loss(21).Backward(); Loss(22).Backward();
        var expected = ws.Select(w => w.Grad!.ToDoubleArray().Select(v => 2 * v).ToArray()).ToList();
        foreach (var w in ws) w.ZeroGrad();

        var comm = new TwoEqualRanks();
        var buckets = new GradientSync(comm, bucketElements: 60).Begin(all)!;
        Assert.True(buckets.BucketCount >= 3);
        Loss(21).Backward(); // an earlier micro-batch: not observed
        Assert.Empty(comm.Started);
        comm.InBackward = true;
        using (buckets.Observe()) Loss(22).Backward();
        comm.InBackward = false;
        Assert.Contains(comm.Started, s => s.DuringBackward); // the overlap happened
        buckets.Finish();

        Assert.Equal(buckets.BucketCount, comm.Started.Count);
        // Bucket order is the reverse parameter order, greedy up to 60 elements, whatever order the backward finished them in.
        var sizes = new List<long>();
        long size = 0;
        foreach (var t in all.Where(t => t.RequiresGrad).Reverse())
        {
            if (size > 0 && size + t.NumElements > 60) { sizes.Add(size); size = 0; }
            size += t.NumElements;
        }
        sizes.Add(size);
        Assert.Equal(sizes, comm.Started.Select(s => s.Elements));
        for (int i = 0; i < ws.Length; i++)
            Assert.Equal(expected[i], ws[i].Grad!.ToDoubleArray());
        Assert.Null(unreached.Grad); // no rank had a gradient for it
        Assert.Null(frozen.Grad);
        Assert.Throws<InvalidOperationException>(() => buckets.Finish());
    }
}
