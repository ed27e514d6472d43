using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Tests.Runtime;

// The pool is process-wide and other tests allocate concurrently, so each test uses a size no other test allocates.
public class CpuBlockPoolTests
{
    [Fact]
    public unsafe void AFreedLargeBlockIsReusedByTheNextAllocationOfTheSameSize()
    {
        Assert.True(CpuBlockPool.CapacityBytes > 0, "ENGINE_CPU_POOL_MB=0 turns the pool off; this test needs it on.");
        const int n = (1 << 20) / 4 + 12_345; // > 1 MiB of f32, an odd size
        var a = Tensor.Empty([n]);
        var first = (nint)a.Storage.Pointer;
        a.Storage.Dispose();
        var b = Tensor.Empty([n]);
        Assert.Equal(first, (nint)b.Storage.Pointer);
        var other = Tensor.Empty([n + 16]); // another size is never handed a cached block of this one
        Assert.NotEqual(first, (nint)other.Storage.Pointer);
        b.Storage.Dispose(); other.Storage.Dispose();
    }

    [Fact]
    public unsafe void ZerosOnAReusedDirtyBlockAreZeros()
    {
        const int n = (1 << 20) / 4 + 23_456;
        var dirty = Tensor.Full([n], 7.5);
        var p = (nint)dirty.Storage.Pointer;
        dirty.Storage.Dispose();
        var z = Tensor.Zeros([n]);
        Assert.Equal(p, (nint)z.Storage.Pointer); // it did reuse the dirty block
        Assert.All(z.ToArray<float>(), v => Assert.Equal(0f, v));
        z.Storage.Dispose();
    }

    [Fact]
    public unsafe void SmallBlocksAreNotPooled()
    {
        var s = Tensor.Empty([1000]);
        s.Storage.Dispose();
        Assert.True(CpuBlockPool.Rent(4000) == null);
    }
}
