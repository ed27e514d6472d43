using Engine.Runtime.Cuda.Native;

namespace Engine.Runtime.Cuda;

/// <summary>
/// Caching, stream-ordered device allocator. Blocks are rounded to size classes (512 B steps up to 1 MiB, powers
/// of two above) and returned to a free list instead of cuMemFree, so steady-state training does no driver
/// allocations. Out-of-memory releases the cache once and retries, then fails with the numbers.
///
/// <para><b>Stream-ordering rule.</b> A block is freed <i>on a stream</i> S (by default the stream it was
/// allocated on). Work already queued on S may still use it, so:
/// (1) an allocation on S may reuse it at once — anything queued on S later runs after that work;
/// (2) an allocation on another stream T may reuse it only after an event recorded on S at free time has
///     completed (polled with cuEventQuery, never waited on); until then T gets another block or a new one.
/// A caller that used a block on a stream other than the one it frees it on must first make the freeing
/// stream wait for that work (<see cref="CudaStream.Wait"/>).</para>
///
/// <para><b>Graph capture.</b> Between <see cref="BeginCapture"/> and <see cref="EndCapture"/> every block freed
/// on the capturing stream is kept out of the free lists and handed to the graph, which returns them when it is
/// disposed: the graph's kernels read and write those addresses on every replay.</para>
/// </summary>
public sealed class CudaMemoryPool : IDisposable
{
    private readonly record struct FreeBlock(ulong Address, IntPtr Stream, IntPtr Event);

    private readonly IPoolDriver _driver;
    private readonly Dictionary<long, List<FreeBlock>> _free = [];
    private readonly object _lock = new();
    private readonly HashSet<IntPtr> _deadStreams = [];
    private IntPtr _capturing;
    private List<(ulong, long)>? _captured;
    private bool _disposed;

    /// <summary>Bytes handed out and not yet freed (size-class rounded).</summary>
    public long InUse { get; private set; }
    /// <summary>Highest <see cref="InUse"/> since creation or <see cref="ResetPeak"/>.</summary>
    public long Peak { get; private set; }
    /// <summary>Bytes held in the free lists (allocated from the driver, not in use).</summary>
    public long Cached { get; private set; }
    /// <summary>Driver allocations made (a steady state stops increasing this).</summary>
    public long DriverAllocations { get; private set; }
    /// <summary>Allocations served from a block freed on another stream after its event completed.</summary>
    public long CrossStreamReuses { get; private set; }

    public CudaMemoryPool(CudaDevice device) : this(new DriverPoolDriver(device)) { }

    internal CudaMemoryPool(IPoolDriver driver) => _driver = driver;

    public static long SizeClass(long bytes) =>
        bytes <= 0 ? 512 : bytes <= 1 << 20 ? (bytes + 511) / 512 * 512 : (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)bytes);

    public void ResetPeak() { lock (_lock) Peak = InUse; }

    public override string ToString() => $"in use {InUse:N0} B, peak {Peak:N0} B, cached {Cached:N0} B, driver allocations {DriverAllocations}";

    /// <summary>Allocate on the device's current stream.</summary>
    public (ulong address, long size) Allocate(long bytes) => Allocate(bytes, _driver.CurrentStream);

    /// <summary>Allocate a block for use on <paramref name="stream"/> (a CUstream handle).</summary>
    public (ulong address, long size) Allocate(long bytes, IntPtr stream)
    {
        long size = SizeClass(bytes);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (TryReuse(size, stream, out var address)) { Track(size); return (address, size); }
        }
        if (!_driver.TryAlloc(size, out var ptr))
        {
            ReleaseCache();
            if (!_driver.TryAlloc(size, out ptr))
            {
                var (free, total) = _driver.MemInfo();
                throw new OutOfMemoryException($"CUDA out of memory on {_driver.Name}: asked {bytes:N0} bytes (size class {size:N0}); " +
                    $"engine holds {InUse:N0} (peak {Peak:N0}, cached {Cached:N0}); device free {free:N0} of {total:N0}.");
            }
        }
        lock (_lock) { DriverAllocations++; Track(size); }
        return (ptr, size);
    }

    private bool TryReuse(long size, IntPtr stream, out ulong address)
    {
        address = 0;
        if (!_free.TryGetValue(size, out var list) || list.Count == 0) return false;
        // Rule 1: the newest block freed on the same stream, no wait needed.
        for (int i = list.Count - 1; i >= 0; i--)
            if (list[i].Stream == stream) return Take(list, i, size, out address);
        // Rule 2: a block from another stream whose free-time event has completed.
        for (int i = 0; i < list.Count; i++)
            if (list[i].Event == IntPtr.Zero || _driver.EventCompleted(list[i].Event))
            {
                CrossStreamReuses++;
                return Take(list, i, size, out address);
            }
        return false;
    }

    private bool Take(List<FreeBlock> list, int i, long size, out ulong address)
    {
        var b = list[i];
        list.RemoveAt(i);
        if (b.Event != IntPtr.Zero) _driver.DestroyEvent(b.Event);
        Cached -= size;
        address = b.Address;
        return true;
    }

    private void Track(long size) { InUse += size; Peak = Math.Max(Peak, InUse); }

    /// <summary>Free on the device's current stream.</summary>
    public void Free(ulong address, long size) => Free(address, size, _driver.CurrentStream);

    /// <summary>Return a block freed on <paramref name="stream"/>; see the stream-ordering rule above.</summary>
    public void Free(ulong address, long size, IntPtr stream)
    {
        lock (_lock)
        {
            if (_disposed) return; // a finalizer after the device went away: the context owns nothing any more
            InUse -= size;
            if (_captured is not null && stream == _capturing) { _captured.Add((address, size)); return; }
            Cache(address, size, stream);
        }
    }

    private void Cache(ulong address, long size, IntPtr stream)
    {
        // A destroyed stream was synchronized first (CudaStream.Dispose): its blocks are idle, reusable by any stream.
        var block = _deadStreams.Contains(stream) ? new FreeBlock(address, NoStream, IntPtr.Zero) : new FreeBlock(address, stream, _driver.RecordEvent(stream));
        if (!_free.TryGetValue(size, out var list)) _free[size] = list = [];
        list.Add(block);
        Cached += size;
    }

    /// <summary>Never a stream handle (handles are pointers): marks an idle block that belongs to no stream.</summary>
    private static readonly IntPtr NoStream = -1;

    /// <summary>A stream handle is (again) in use: forget that an earlier stream with the same handle was destroyed.</summary>
    internal void StreamCreated(IntPtr stream) { lock (_lock) _deadStreams.Remove(stream); }

    /// <summary>
    /// <paramref name="stream"/> was synchronized and is being destroyed: blocks freed on it later (tensors that outlive it,
    /// graphs replayed on it) carry no event, and its cached blocks become free for every stream.
    /// </summary>
    internal void StreamDestroyed(IntPtr stream)
    {
        lock (_lock)
        {
            _deadStreams.Add(stream);
            foreach (var list in _free.Values)
                for (int i = 0; i < list.Count; i++)
                    if (list[i].Stream == stream)
                    {
                        if (list[i].Event != IntPtr.Zero) _driver.DestroyEvent(list[i].Event);
                        list[i] = new FreeBlock(list[i].Address, NoStream, IntPtr.Zero);
                    }
        }
    }

    /// <summary>Start keeping blocks freed on <paramref name="stream"/> for the graph being captured on it.</summary>
    internal void BeginCapture(IntPtr stream)
    {
        lock (_lock)
        {
            if (_captured is not null) throw new InvalidOperationException("The memory pool is already in a graph capture; captures do not nest.");
            _capturing = stream;
            _captured = [];
        }
    }

    /// <summary>End the capture; the returned blocks belong to the graph until <see cref="ReleaseCaptured"/>.</summary>
    internal List<(ulong address, long size)> EndCapture()
    {
        lock (_lock)
        {
            var r = _captured ?? [];
            _captured = null;
            _capturing = IntPtr.Zero;
            return r;
        }
    }

    /// <summary>Give a disposed graph's blocks back, as freed on <paramref name="stream"/> (where its replays ran).</summary>
    internal void ReleaseCaptured(List<(ulong address, long size)> blocks, IntPtr stream)
    {
        lock (_lock)
        {
            if (_disposed) return;
            foreach (var (a, s) in blocks) Cache(a, s, stream);
        }
    }

    /// <summary>Return every cached block to the driver (waiting for each block's pending work first).</summary>
    public void ReleaseCache()
    {
        lock (_lock)
        {
            foreach (var list in _free.Values)
            {
                foreach (var b in list)
                {
                    if (b.Event != IntPtr.Zero) { _driver.SynchronizeEvent(b.Event); _driver.DestroyEvent(b.Event); }
                    _driver.Free(b.Address);
                }
                list.Clear();
            }
            Cached = 0;
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        ReleaseCache();
        lock (_lock) _disposed = true;
        _driver.Dispose();
    }
}

/// <summary>What the pool needs from the device; a fake stands in for it in host-side tests.</summary>
internal interface IPoolDriver : IDisposable
{
    string Name { get; }
    IntPtr CurrentStream { get; }
    /// <summary>False on out-of-memory; other failures throw.</summary>
    bool TryAlloc(long bytes, out ulong address);
    void Free(ulong address);
    IntPtr RecordEvent(IntPtr stream);
    bool EventCompleted(IntPtr ev);
    void SynchronizeEvent(IntPtr ev);
    void DestroyEvent(IntPtr ev);
    (long free, long total) MemInfo();
}

/// <summary>The real driver behind the pool. Events are recycled (timing disabled: cheapest to record).</summary>
internal sealed unsafe class DriverPoolDriver(CudaDevice device) : IPoolDriver
{
    private readonly Stack<IntPtr> _spare = new();

    public string Name => device.Name;
    public IntPtr CurrentStream => device.CurrentStream.Handle;

    public bool TryAlloc(long bytes, out ulong address)
    {
        device.MakeCurrent();
        ulong p;
        int rc = CudaDriver.cuMemAlloc(&p, (nuint)bytes);
        address = p;
        if (rc == 2) return false; // CUDA_ERROR_OUT_OF_MEMORY
        CudaDriver.Check(rc, "cuMemAlloc");
        return true;
    }

    public void Free(ulong address) { device.MakeCurrent(); CudaDriver.Check(CudaDriver.cuMemFree(address), "cuMemFree"); }

    public IntPtr RecordEvent(IntPtr stream)
    {
        device.MakeCurrent();
        IntPtr e;
        if (_spare.Count > 0) e = _spare.Pop();
        else CudaDriver.Check(CudaDriver.cuEventCreate(&e, CudaDriver.EventDisableTiming), "cuEventCreate");
        CudaDriver.Check(CudaDriver.cuEventRecord(e, stream), "cuEventRecord");
        return e;
    }

    public bool EventCompleted(IntPtr ev)
    {
        device.MakeCurrent();
        int rc = CudaDriver.cuEventQuery(ev);
        if (rc == CudaDriver.ErrorNotReady) return false;
        CudaDriver.Check(rc, "cuEventQuery");
        return true;
    }

    public void SynchronizeEvent(IntPtr ev) { device.MakeCurrent(); CudaDriver.Check(CudaDriver.cuEventSynchronize(ev), "cuEventSynchronize"); }

    public void DestroyEvent(IntPtr ev) => _spare.Push(ev);

    public (long free, long total) MemInfo()
    {
        nuint free = 0, total = 0;
        device.MakeCurrent();
        CudaDriver.cuMemGetInfo(&free, &total);
        return ((long)free, (long)total);
    }

    public void Dispose()
    {
        device.MakeCurrent();
        while (_spare.Count > 0) CudaDriver.cuEventDestroy(_spare.Pop());
    }
}
