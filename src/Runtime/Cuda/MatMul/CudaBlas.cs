using Engine.Runtime.Cuda.Native;

namespace Engine.Runtime.Cuda;

/// <summary>
/// Row-major GEMM on the GPU through cuBLAS with f32 accumulation, matching the CPU's Gemm semantics:
/// C[m×n] = alpha·op(A)·op(B) + beta·C, ld* are row strides. cuBLAS is column-major, so the call computes
/// Cᵀ = op(B)ᵀ·op(A)ᵀ, which reads the same memory with the operands swapped.
/// </summary>
public sealed unsafe class CudaBlas : IDisposable
{
    private readonly CudaDevice _dev;
    private IntPtr _handle;
    private IntPtr _stream;

    public CudaBlas(CudaDevice dev)
    {
        _dev = dev;
        CudaLibraries.EnsureResolver();
        if (!CudaLibraries.TryLoad("cublas", out _, out var err)) throw new CudaException("cuBLAS not available: " + err);
        dev.MakeCurrent();
        IntPtr h;
        CuBlas.Check(CuBlas.cublasCreate(&h), "cublasCreate");
        _handle = h;
        CuBlas.Check(CuBlas.cublasSetStream(h, dev.Stream), "cublasSetStream");
        _stream = dev.Stream;
    }

    /// <summary>Point the handle at the device's current stream (a UseStream scope or a graph capture may change it).</summary>
    private void FollowStream()
    {
        var s = _dev.CurrentStream.Handle;
        if (s == _stream) return;
        CuBlas.Check(CuBlas.cublasSetStream(_handle, s), "cublasSetStream");
        _stream = s;
    }

    private static int TypeOf(DType t) => t switch
    {
        DType.F32 => CuBlas.R32F, DType.BF16 => CuBlas.R16BF, DType.F16 => CuBlas.R16F,
        _ => throw new NotSupportedException($"cuBLAS GEMM on {t} is not supported (F32, BF16, F16)."),
    };

    /// <param name="abType">Element type of A and B (F32, BF16 or F16); <paramref name="cType"/> of C. Accumulation is f32.</param>
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, ulong a, int lda, ulong b, int ldb, float beta, ulong c, int ldc,
        DType abType, DType cType, int batch = 1, long strideA = 0, long strideB = 0, long strideC = 0)
    {
        _dev.MakeCurrent();
        FollowStream();
        int ab = TypeOf(abType), ct = TypeOf(cType);
        int opB = transB ? CuBlas.OpT : CuBlas.OpN, opA = transA ? CuBlas.OpT : CuBlas.OpN;
        if (batch == 1)
            CuBlas.Check(CuBlas.cublasGemmEx(_handle, opB, opA, n, m, k, &alpha, b, ab, ldb, a, ab, lda, &beta, c, ct, ldc, CuBlas.Compute32F, CuBlas.GemmDefault), "cublasGemmEx");
        else
            CuBlas.Check(CuBlas.cublasGemmStridedBatchedEx(_handle, opB, opA, n, m, k, &alpha, b, ab, ldb, strideB, a, ab, lda, strideA, &beta,
                c, ct, ldc, strideC, batch, CuBlas.Compute32F, CuBlas.GemmDefault), "cublasGemmStridedBatchedEx");
    }

    public void Dispose()
    {
        if (_handle == IntPtr.Zero) return;
        CuBlas.cublasDestroy(_handle);
        _handle = IntPtr.Zero;
    }
}
