using Engine.Runtime.Cuda.Native;

namespace Engine.Runtime.Cuda;

/// <summary>
/// The CUDA implementation of the op surface. Tensors live in pooled device memory; ops with a kernel run on the
/// device's stream, and an op without one yet fails with an error naming it (never a silent host fallback).
/// One partial file per op family (Cuda/<Family>/CudaBackend.<Family>.cs, kernels/<family>.cu, launched through the
/// generated <Family>Kernels), each held against the CPU by the op table (src/Diagnostics).
/// </summary>
public sealed unsafe partial class CudaBackend : IBackend
{
    private static readonly Dictionary<int, CudaBackend> Instances = [];
    private readonly Lazy<CudaBlas> _blas;
    private readonly Lazy<CudaBlasLt?> _blasLt;
    private string _blasLtStatus = "not yet probed";

    /// <summary>Which GEMM library bf16 MatMul uses and why (cuBLASLt when it loads, else cublasGemmEx).</summary>
    public string GemmPath => _blasLt.Value is not null ? _blasLtStatus : "cublasGemmEx (" + _blasLtStatus + ")";

    public CudaDevice Device { get; }
    public string Name => $"cuda:{Device.Ordinal}";

    private CudaBackend(CudaDevice device)
    {
        Device = device;
        _blas = new Lazy<CudaBlas>(() => new CudaBlas(device));
        _blasLt = new Lazy<CudaBlasLt?>(() => { var lt = CudaBlasLt.TryCreate(device, out var why); _blasLtStatus = why; return lt; });
    }

    public static CudaBackend Get(int ordinal)
    {
        lock (Instances)
            return Instances.TryGetValue(ordinal, out var b) ? b : Instances[ordinal] = new CudaBackend(CudaDevice.Get(ordinal));
    }

    private static NotSupportedException Missing(string op, string detail = "") =>
        new($"CUDA backend: no kernel for {op}{(detail.Length > 0 ? " (" + detail + ")" : "")} yet. Run it on the CPU (--device cpu) or move the tensors with .To(Device.Cpu).");

    /// <summary>A tensor's device block; freed on the stream it was allocated on (the pool's stream-ordering rule).</summary>
    private sealed class PooledBlock(CudaMemoryPool pool, ulong address, long size, IntPtr stream) : IDisposable
    {
        private int _freed;
        public void Dispose() { if (Interlocked.Exchange(ref _freed, 1) == 0) pool.Free(address, size, stream); }
    }

    public Storage Allocate(long bytes, bool zero)
    {
        var stream = Device.CurrentStream;
        var (addr, size) = Device.Memory.Allocate(Math.Max(bytes, 1), stream.Handle);
        // Zeroing is queued on the same stream as the kernels that will use the block (and is capturable).
        if (zero || Device.PoisonAllocations)
        {
            Device.MakeCurrent();
            CudaDriver.Check(CudaDriver.cuMemsetD8Async(addr, zero ? (byte)0 : (byte)0xFF, (nuint)Math.Max(bytes, 1), stream.Handle), "cuMemsetD8Async");
        }
        return Storage.Wrap((void*)addr, bytes, Runtime.Device.Cuda(Device.Ordinal), new PooledBlock(Device.Memory, addr, size, stream.Handle));
    }

    internal static ulong Addr(Tensor t) => (ulong)t.RawPointer;
    private static CudaPointer P(Tensor t) => new(Addr(t));
    /// <summary>A null device pointer for an absent optional tensor (the kernels test for 0).</summary>
    private static CudaPointer POrNull(Tensor? t) => t is null ? default : P(t);

    /// <summary>Where this flow's launches go (<see cref="CudaDevice.CurrentStream"/>).</summary>
    private CudaStream S => Device.CurrentStream;

    public void Copy(Tensor src, Tensor dst)
    {
        if (!src.IsContiguous || !dst.IsContiguous)
        {
            if (src.Device.IsCpu || dst.Device.IsCpu) throw Missing("strided host↔device copy", $"{src.ShapeString} → {dst.ShapeString}; make the host side contiguous first");
            StridedCopy(src, dst);
            return;
        }
        var bytes = (nuint)(src.NumElements * src.DType.SizeOf());
        if (bytes == 0) return;
        Device.MakeCurrent();
        // The engine's stream is non-blocking: order host copies explicitly against it.
        Device.Synchronize();
        if (src.Device.IsCpu && !dst.Device.IsCpu) CudaDriver.Check(CudaDriver.cuMemcpyHtoD(Addr(dst), src.RawPointer, bytes), "cuMemcpyHtoD");
        else if (!src.Device.IsCpu && dst.Device.IsCpu) CudaDriver.Check(CudaDriver.cuMemcpyDtoH(dst.RawPointer, Addr(src), bytes), "cuMemcpyDtoH");
        else CudaDriver.Check(CudaDriver.cuMemcpyDtoD(Addr(dst), Addr(src), bytes), "cuMemcpyDtoD");
        Device.Synchronize();
        GC.KeepAlive(src); GC.KeepAlive(dst); // a host side's memory must outlive the copy
    }

    private Tensor Like(Tensor x, DType? dtype = null) => Tensor.Empty(x.Shape, dtype ?? x.DType, x.Device);
    private Tensor New(int[] shape, DType dtype) => Tensor.Empty(shape, dtype, Runtime.Device.Cuda(Device.Ordinal));

    private static void RequireF32(string op, params ReadOnlySpan<Tensor?> ts)
    {
        foreach (var t in ts)
            if (t is not null && t.DType != DType.F32) throw Missing(op, $"dtype {t.DType}; the f32 kernel exists");
    }
}
