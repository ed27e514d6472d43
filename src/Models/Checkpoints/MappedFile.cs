using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Engine.Models.Checkpoints;

/// <summary>
/// A whole file mapped into memory, copy-on-write: the file on disk never changes, and a caller that
/// writes into a zero-copy view gets private pages instead of an access violation.
/// <para>
/// Lifetime: the mapping is a SafeHandle, which is reference counted. Each <see cref="Lease"/> adds a
/// reference, so disposing this object only unmaps once every lease is released too.
/// </para>
/// </summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly SafeMemoryMappedViewHandle _handle;
    private byte* _base;

    public long Length { get; }

    private MappedFile(MemoryMappedFile file, MemoryMappedViewAccessor view, long length)
    {
        _file = file; _view = view; Length = length;
        _handle = view.SafeMemoryMappedViewHandle;
        byte* p = null;
        _handle.AcquirePointer(ref p);
        _base = p + view.PointerOffset;
    }

    /// <summary>Map <paramref name="stream"/> (takes ownership of it). Length must be positive.</summary>
    public static MappedFile Map(FileStream stream, long length)
    {
        MemoryMappedFile? file = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            file = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0,
                MemoryMappedFileAccess.CopyOnWrite, HandleInheritability.None, leaveOpen: false);
            view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.CopyOnWrite);
            return new MappedFile(file, view, length);
        }
        catch
        {
            view?.Dispose();
            if (file is not null) file.Dispose(); else stream.Dispose();
            throw;
        }
    }

    public bool IsDisposed => _base == null;

    public byte* Base => _base != null ? _base : throw new ObjectDisposedException(nameof(MappedFile));

    /// <summary>Keeps the mapping alive until the returned object is disposed (idempotent, finalizer-safe).</summary>
    public IDisposable Lease()
    {
        if (_base == null) throw new ObjectDisposedException(nameof(MappedFile));
        bool added = false;
        _handle.DangerousAddRef(ref added);
        return new MappingLease(_handle);
    }

    public void Dispose()
    {
        if (_base == null) return;
        _base = null;
        _handle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
        GC.SuppressFinalize(this);
    }

    // A file dropped without Dispose must still give back its reference, or the mapping would outlive
    // every view. Only the SafeHandle is touched: critical finalizers (the handle's) run after this one.
    ~MappedFile()
    {
        if (_base == null) return;
        _base = null;
        _handle.ReleasePointer();
    }

    private sealed class MappingLease(SafeHandle handle) : IDisposable
    {
        private SafeHandle? _handle = handle;

        public void Dispose() => Interlocked.Exchange(ref _handle, null)?.DangerousRelease();
    }
}
