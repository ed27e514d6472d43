using System.Runtime.InteropServices;

namespace Engine.Runtime;

/// <summary>
/// A block of native memory (never a managed array) that one or more tensor views share.
/// Freed on Dispose or, as a fallback, by the finalizer; the GC is told about its size so
/// native allocations still trigger collections.
/// </summary>
public sealed unsafe class Storage : IDisposable
{
    private void* _ptr;
    private readonly IDisposable? _owner;
    private readonly bool _ownsMemory;

    public long Bytes { get; }
    public Device Device { get; }

    public void* Pointer => _ptr != null ? _ptr : throw new ObjectDisposedException(nameof(Storage));
    public bool IsDisposed => _ptr == null;

    private Storage(void* ptr, long bytes, Device device, bool owns, IDisposable? owner)
    {
        _ptr = ptr; Bytes = bytes; Device = device; _ownsMemory = owns; _owner = owner;
        if (owns && bytes > 0) GC.AddMemoryPressure(bytes);
    }

    public static Storage AllocateCpu(long bytes, bool zero)
    {
        if (bytes < 0) throw new ArgumentOutOfRangeException(nameof(bytes));
        var n = (nuint)Math.Max(bytes, 1);
        void* p;
        try { p = Cpu.CpuBlockPool.Rent(n); if (p == null) p = NativeMemory.AlignedAlloc(n, 64); }
        catch (OutOfMemoryException) { throw new OutOfMemoryException($"CPU allocation of {bytes:N0} bytes failed."); }
        if (zero) NativeMemory.Clear(p, n);
        return new Storage(p, bytes, Device.Cpu, owns: true, owner: null);
    }

    /// <summary>Wrap memory that something else owns (a memory-mapped file, a device buffer).</summary>
    public static Storage Wrap(void* ptr, long bytes, Device device, IDisposable? owner) => new(ptr, bytes, device, owns: false, owner);

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~Storage() => Free();

    private void Free()
    {
        var p = _ptr;
        if (p == null) return;
        _ptr = null;
        if (_ownsMemory)
        {
            Cpu.CpuBlockPool.Return(p, (nuint)Math.Max(Bytes, 1));
            if (Bytes > 0) GC.RemoveMemoryPressure(Bytes);
        }
        _owner?.Dispose();
    }
}
