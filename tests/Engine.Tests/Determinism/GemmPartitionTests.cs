using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Tests.Determinism;

/// <summary>
/// The GEMM's bits do not depend on how its work is split: 1, 2, 3 or 5 threads, the cooperative path (one shared
/// packed B) or the fallback a caller gets while another GEMM owns the workers (rows or columns per thread, each
/// packing its own B). Every element is one fixed chain of FMAs over K in blocks that depend only on the shape.
/// </summary>
public class GemmPartitionTests
{
    [Theory]
    [InlineData(257, 131, 385)]   // edge tiles in every dimension, two K blocks
    [InlineData(600, 96, 200)]    // tall: rows split, cooperative when the workers are free
    [InlineData(20, 700, 300)]    // short and wide: columns split
    [InlineData(1, 1500, 700)]    // one row (decode): GemmSmall's column split on the workers
    public unsafe void ProductIsIdenticalForEveryPartition(int m, int n, int k)
    {
        var a = Tensor.RandN([m, k], 1); var b = Tensor.RandN([k, n], 2); var c0 = Tensor.RandN([m, n], 3);
        int[] Product(int threads, bool workersBusy)
        {
            var c = c0.Clone();
            void Once() => Gemm.Run(false, false, m, n, k, 0.75f, a.Ptr<float>(), k, b.Ptr<float>(), n, 0.5f, c.Ptr<float>(), n, threads);
            // Holding the workers (retrying while another test holds them) makes the GEMM inside take its fallback.
            if (workersBusy) while (!GemmWorkers.TryRun(2, w => { if (w == 0) Once(); })) Thread.Yield();
            else Once();
            return c.ToFloatArray().Select(BitConverter.SingleToInt32Bits).ToArray();
        }
        var one = Product(1, false);
        foreach (var (threads, busy) in new[] { (2, false), (3, false), (5, false), (2, true), (3, true) })
            Assert.True(one.SequenceEqual(Product(threads, busy)), $"threads={threads} workersBusy={busy} changed the bits");
    }
}
