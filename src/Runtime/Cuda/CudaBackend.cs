using Engine.Runtime.Cuda.Native;

namespace Engine.Runtime.Cuda;

/// <summary>
/// The CUDA implementation of the op surface. Tensors live in pooled device memory; ops with a kernel run on the
/// device's stream, and an op without one yet fails with an error naming it (never a silent host fallback).
/// Kernel coverage grows family by family, each held against the CPU reference by the parity suite.
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
        if (zero) { Device.MakeCurrent(); CudaDriver.Check(CudaDriver.cuMemsetD8Async(addr, 0, (nuint)Math.Max(bytes, 1), stream.Handle), "cuMemsetD8Async"); }
        return Storage.Wrap((void*)addr, bytes, Runtime.Device.Cuda(Device.Ordinal), new PooledBlock(Device.Memory, addr, size, stream.Handle));
    }

    internal static ulong Addr(Tensor t) => (ulong)t.RawPointer;
    private static CudaPointer P(Tensor t) => new(Addr(t));

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
    }

    /// <summary>Device-to-device copy between views of the same shape (rank ≤ 4, 4-byte elements).</summary>
    private void StridedCopy(Tensor src, Tensor dst)
    {
        if (src.Rank > 4 || src.DType.SizeOf() != 4) throw Missing("strided copy", $"rank {src.Rank} {src.DType}; rank ≤ 4 with 4-byte elements is supported");
        long[] n = [1, 1, 1, 1], ss = [0, 0, 0, 0], ds = [0, 0, 0, 0];
        int off = 4 - src.Rank;
        for (int i = 0; i < src.Rank; i++) { n[off + i] = src.Size(i); ss[off + i] = src.Strides[i]; ds[off + i] = dst.Strides[i]; }
        Launch1D("transformer.cu", "strided_copy_u32", src.NumElements, P(src), P(dst), n[0], n[1], n[2], n[3], ss[0], ss[1], ss[2], ss[3], ds[0], ds[1], ds[2], ds[3]);
    }

    private Tensor Like(Tensor x, DType? dtype = null) => Tensor.Empty(x.Shape, dtype ?? x.DType, x.Device);
    private Tensor New(int[] shape, DType dtype) => Tensor.Empty(shape, dtype, Runtime.Device.Cuda(Device.Ordinal));

    private void Launch1D(string file, string fn, long n, params object[] args) => Device.Launch1D(file, fn, n, args);
    private void LaunchRows(string file, string fn, long rows, params object[] args) =>
        Device.Launch(file, fn, (uint)rows, 1, 1, 256, 1, 1, 0, args);

    public Tensor Cast(Tensor x, DType dtype)
    {
        if (dtype == x.DType) return x;
        var y = Like(x, dtype);
        if (x.DType == DType.F32 && dtype == DType.BF16) Launch1D("elementwise.cu", "cast_f32_bf16", x.NumElements, P(x), P(y), x.NumElements);
        else if (x.DType == DType.BF16 && dtype == DType.F32) Launch1D("elementwise.cu", "cast_bf16_f32", x.NumElements, P(x), P(y), x.NumElements);
        else if (x.DType == DType.F32 && dtype == DType.F16) Launch1D("elementwise.cu", "cast_f32_f16", x.NumElements, P(x), P(y), x.NumElements);
        else if (x.DType == DType.F16 && dtype == DType.F32) Launch1D("elementwise.cu", "cast_f16_f32", x.NumElements, P(x), P(y), x.NumElements);
        else throw Missing("Cast", $"{x.DType} → {dtype}");
        return y;
    }

    private static void RequireF32(string op, params ReadOnlySpan<Tensor?> ts)
    {
        foreach (var t in ts)
            if (t is not null && t.DType != DType.F32) throw Missing(op, $"dtype {t.DType}; the f32 kernel exists");
    }
}
