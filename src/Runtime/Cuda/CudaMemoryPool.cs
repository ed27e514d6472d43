using Engine.Runtime.Cuda.Native;

namespace Engine.Runtime.Cuda;

/// <summary>
/// Caching device allocator: blocks are rounded to size classes (powers of two above 1 MiB, 512 B steps
/// below) and returned to a free list instead of cuMemFree, so steady-state training does no driver
/// allocations. Reports current and peak use; out-of-memory frees the cache once and retries, then
/// fails with the numbers.
/// </summary>
public sealed unsafe class CudaMemoryPool(CudaDevice device) : IDisposable
{
    private readonly Dictionary<long, Stack<ulong>> _free = [];
    private readonly object _lock = new();
    public long InUse { get; private set; }
    public long Peak { get; private set; }
    public long Cached { get; private set; }

    public static long SizeClass(long bytes) =>
        bytes <= 0 ? 512 : bytes <= 1 << 20 ? (bytes + 511) / 512 * 512 : (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)bytes);

    public (ulong address, long size) Allocate(long bytes)
    {
        long size = SizeClass(bytes);
        lock (_lock)
        {
            if (_free.TryGetValue(size, out var stack) && stack.Count > 0)
            {
                Cached -= size;
                Track(size);
                return (stack.Pop(), size);
            }
        }
        device.MakeCurrent();
        ulong ptr;
        int rc = CudaDriver.cuMemAlloc(&ptr, (nuint)size);
        if (rc == 2)
        {
            ReleaseCache();
            rc = CudaDriver.cuMemAlloc(&ptr, (nuint)size);
            if (rc == 2)
            {
                nuint free, total;
                CudaDriver.cuMemGetInfo(&free, &total);
                throw new OutOfMemoryException($"CUDA out of memory on {device.Name}: asked {bytes:N0} bytes; engine holds {InUse:N0} (peak {Peak:N0}); device free {(long)free:N0} of {(long)total:N0}.");
            }
        }
        CudaDriver.Check(rc, "cuMemAlloc");
        lock (_lock) Track(size);
        return (ptr, size);
    }

    private void Track(long size) { InUse += size; Peak = Math.Max(Peak, InUse); }

    public void Free(ulong address, long size)
    {
        lock (_lock)
        {
            InUse -= size;
            Cached += size;
            if (!_free.TryGetValue(size, out var s)) _free[size] = s = new Stack<ulong>();
            s.Push(address);
        }
    }

    public void ReleaseCache()
    {
        lock (_lock)
        {
            device.MakeCurrent();
            foreach (var s in _free.Values) while (s.Count > 0) CudaDriver.cuMemFree(s.Pop());
            Cached = 0;
        }
    }

    public void Dispose() => ReleaseCache();
}
