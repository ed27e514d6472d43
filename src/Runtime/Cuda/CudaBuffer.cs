using Engine.Runtime.Cuda.Native;

namespace Engine.Runtime.Cuda;

/// <summary>A device allocation from the pool with typed host copies; used by the parity suite and benches.</summary>
public sealed unsafe class CudaBuffer<T> : IDisposable where T : unmanaged
{
    private readonly CudaDevice _dev;
    private readonly long _size;
    public ulong Address { get; }
    public long Length { get; }
    public CudaPointer Ptr => new(Address);

    public CudaBuffer(CudaDevice dev, long length, bool poison = true)
    {
        _dev = dev; Length = length;
        (Address, _size) = dev.Memory.Allocate(length * sizeof(T));
        // Poison (0xFF bytes = NaN for floats) so a kernel that skips an element is caught.
        if (poison) CudaDriver.Check(CudaDriver.cuMemsetD8(Address, 0xFF, (nuint)(length * sizeof(T))), "cuMemsetD8");
    }

    public static CudaBuffer<T> From(CudaDevice dev, ReadOnlySpan<T> host)
    {
        var b = new CudaBuffer<T>(dev, host.Length, poison: false);
        fixed (T* p = host) CudaDriver.Check(CudaDriver.cuMemcpyHtoD(b.Address, p, (nuint)(host.Length * sizeof(T))), "cuMemcpyHtoD");
        return b;
    }

    public T[] ToArray()
    {
        _dev.Synchronize();
        var r = new T[Length];
        fixed (T* p = r) CudaDriver.Check(CudaDriver.cuMemcpyDtoH(p, Address, (nuint)(Length * sizeof(T))), "cuMemcpyDtoH");
        return r;
    }

    public void Dispose() => _dev.Memory.Free(Address, _size);
}
