using Engine.Runtime.Cuda.Native;

namespace Engine.Runtime.Cuda;

/// <summary>A device allocation from the pool with typed host copies (raw buffers for benches and emulator tests; ops use tensors).</summary>
public sealed unsafe class CudaBuffer<T> : IDisposable where T : unmanaged
{
    private readonly CudaDevice _dev;
    private readonly long _size;
    private readonly IntPtr _stream;
    public ulong Address { get; }
    public long Length { get; }
    public CudaPointer Ptr => new(Address);

    public CudaBuffer(CudaDevice dev, long length, bool poison = true)
    {
        _dev = dev; Length = length;
        _stream = dev.CurrentStream.Handle;
        (Address, _size) = dev.Memory.Allocate(length * sizeof(T), _stream);
        // Poison (0xFF bytes = NaN for floats) so a kernel that skips an element is caught; queued on the
        // buffer's stream so it is ordered before the kernels that use it.
        if (poison) CudaDriver.Check(CudaDriver.cuMemsetD8Async(Address, 0xFF, (nuint)(length * sizeof(T)), _stream), "cuMemsetD8Async");
    }

    public static CudaBuffer<T> From(CudaDevice dev, ReadOnlySpan<T> host)
    {
        var b = new CudaBuffer<T>(dev, host.Length, poison: false);
        dev.Synchronize(); // the block may still be in use by earlier work on this stream
        fixed (T* p = host) CudaDriver.Check(CudaDriver.cuMemcpyHtoD(b.Address, p, (nuint)(host.Length * sizeof(T))), "cuMemcpyHtoD");
        return b;
    }

    public T[] ToArray()
    {
        _dev.MakeCurrent();
        CudaDriver.Check(CudaDriver.cuStreamSynchronize(_stream), "cuStreamSynchronize"); // the buffer's own stream...
        _dev.Synchronize();                                                               // ...and the current one
        var r = new T[Length];
        fixed (T* p = r) CudaDriver.Check(CudaDriver.cuMemcpyDtoH(p, Address, (nuint)(Length * sizeof(T))), "cuMemcpyDtoH");
        return r;
    }

    public void Dispose() => _dev.Memory.Free(Address, _size, _stream);
}
