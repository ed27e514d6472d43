using System.Runtime.InteropServices;

namespace Engine.Runtime.Cuda.Native;

/// <summary>cuBLAS (v2 API) calls the engine uses, bound through "cublas" → the probed libcublas.</summary>
internal static unsafe partial class CuBlas
{
    private const string Lib = "cublas";

    internal const int OpN = 0, OpT = 1;
    internal const int R32F = 0, R16F = 2, R16BF = 14;       // cudaDataType_t
    internal const int Compute32F = 68;                      // cublasComputeType_t CUBLAS_COMPUTE_32F
    internal const int GemmDefault = -1;                     // CUBLAS_GEMM_DEFAULT

    [LibraryImport(Lib, EntryPoint = "cublasCreate_v2")] internal static partial int cublasCreate(IntPtr* handle);
    [LibraryImport(Lib, EntryPoint = "cublasDestroy_v2")] internal static partial int cublasDestroy(IntPtr handle);
    [LibraryImport(Lib, EntryPoint = "cublasSetStream_v2")] internal static partial int cublasSetStream(IntPtr handle, IntPtr stream);
    [LibraryImport(Lib, EntryPoint = "cublasGetVersion_v2")] internal static partial int cublasGetVersion(IntPtr handle, int* version);

    [LibraryImport(Lib)]
    internal static partial int cublasGemmEx(IntPtr handle, int transa, int transb, int m, int n, int k, void* alpha,
        ulong a, int aType, int lda, ulong b, int bType, int ldb, void* beta, ulong c, int cType, int ldc, int computeType, int algo);

    [LibraryImport(Lib)]
    internal static partial int cublasGemmStridedBatchedEx(IntPtr handle, int transa, int transb, int m, int n, int k, void* alpha,
        ulong a, int aType, int lda, long strideA, ulong b, int bType, int ldb, long strideB, void* beta,
        ulong c, int cType, int ldc, long strideC, int batch, int computeType, int algo);

    internal static void Check(int status, string call)
    {
        if (status == 0) return;
        string name = status switch
        {
            1 => "CUBLAS_STATUS_NOT_INITIALIZED", 3 => "CUBLAS_STATUS_ALLOC_FAILED", 7 => "CUBLAS_STATUS_INVALID_VALUE",
            8 => "CUBLAS_STATUS_ARCH_MISMATCH", 11 => "CUBLAS_STATUS_MAPPING_ERROR", 13 => "CUBLAS_STATUS_EXECUTION_FAILED",
            14 => "CUBLAS_STATUS_INTERNAL_ERROR", 15 => "CUBLAS_STATUS_NOT_SUPPORTED", 16 => "CUBLAS_STATUS_LICENSE_ERROR",
            _ => "unknown status",
        };
        throw new CudaException($"{call} failed: {name} ({status}).");
    }
}
