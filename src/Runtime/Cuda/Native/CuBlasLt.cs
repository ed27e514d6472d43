using System.Runtime.InteropServices;

namespace Engine.Runtime.Cuda.Native;

/// <summary>
/// cuBLASLt calls the engine uses, bound through "cublasLt" → the probed libcublasLt. Enum values are those of
/// cublasLt.h as listed in NVIDIA's cuBLAS documentation (cuBLASLt datatypes reference) and nvmath-python's
/// generated bindings of the same header.
/// </summary>
internal static unsafe partial class CuBlasLt
{
    private const string Lib = "cublasLt";

    // cublasLtMatmulDescAttributes_t: TRANSA = 3, TRANSB = 4 (int32 cublasOperation_t), EPILOGUE = 7 (uint32
    // cublasLtEpilogue_t), BIAS_POINTER = 8 (void*), BIAS_DATA_TYPE = 26 (int32 cudaDataType; default: D's type).
    internal const int DescTransA = 3, DescTransB = 4, DescEpilogue = 7, DescBiasPointer = 8, DescBiasDataType = 26;
    // cublasLtMatrixLayoutAttribute_t: TYPE = 0, ORDER = 1, ROWS = 2, COLS = 3, LD = 4, BATCH_COUNT = 5 (int32),
    // STRIDED_BATCH_OFFSET = 6 (int64, elements).
    internal const int LayoutOrder = 1, LayoutBatchCount = 5, LayoutStridedBatchOffset = 6;
    // cublasLtOrder_t: COL = 0, ROW = 1.
    internal const int OrderCol = 0, OrderRow = 1;
    // cublasLtMatmulPreferenceAttributes_t: MAX_WORKSPACE_BYTES = 1 (uint64), MIN_ALIGNMENT_{A,B,C,D}_BYTES = 5..8 (uint32).
    internal const int PrefMaxWorkspaceBytes = 1, PrefMinAlignmentA = 5, PrefMinAlignmentB = 6, PrefMinAlignmentC = 7, PrefMinAlignmentD = 8;
    // cublasLtEpilogue_t: DEFAULT = 1, BIAS = 4 (bias vector of D's row count, broadcast over columns).
    internal const uint EpilogueDefault = 1, EpilogueBias = 4;

    /// <summary>cublasLtMatmulHeuristicResult_t: cublasLtMatmulAlgo_t (uint64_t data[8]), size_t workspaceSize,
    /// cublasStatus_t state, float wavesCount, int reserved[4] — 96 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct HeuristicResult
    {
        public fixed ulong Algo[8];
        public nuint WorkspaceSize;
        public int State;
        public float WavesCount;
        public fixed int Reserved[4];
    }

    [LibraryImport(Lib)] internal static partial int cublasLtCreate(IntPtr* handle);
    [LibraryImport(Lib)] internal static partial int cublasLtDestroy(IntPtr handle);
    [LibraryImport(Lib)] internal static partial nuint cublasLtGetVersion();
    [LibraryImport(Lib)] internal static partial int cublasLtMatmulDescCreate(IntPtr* desc, int computeType, int scaleType);
    [LibraryImport(Lib)] internal static partial int cublasLtMatmulDescDestroy(IntPtr desc);
    [LibraryImport(Lib)] internal static partial int cublasLtMatmulDescSetAttribute(IntPtr desc, int attr, void* buf, nuint size);
    [LibraryImport(Lib)] internal static partial int cublasLtMatrixLayoutCreate(IntPtr* layout, int type, ulong rows, ulong cols, long ld);
    [LibraryImport(Lib)] internal static partial int cublasLtMatrixLayoutDestroy(IntPtr layout);
    [LibraryImport(Lib)] internal static partial int cublasLtMatrixLayoutSetAttribute(IntPtr layout, int attr, void* buf, nuint size);
    [LibraryImport(Lib)] internal static partial int cublasLtMatmulPreferenceCreate(IntPtr* pref);
    [LibraryImport(Lib)] internal static partial int cublasLtMatmulPreferenceDestroy(IntPtr pref);
    [LibraryImport(Lib)] internal static partial int cublasLtMatmulPreferenceSetAttribute(IntPtr pref, int attr, void* buf, nuint size);
    [LibraryImport(Lib)]
    internal static partial int cublasLtMatmulAlgoGetHeuristic(IntPtr handle, IntPtr op, IntPtr aDesc, IntPtr bDesc, IntPtr cDesc, IntPtr dDesc,
        IntPtr pref, int requested, HeuristicResult* results, int* returned);
    [LibraryImport(Lib)]
    internal static partial int cublasLtMatmul(IntPtr handle, IntPtr op, void* alpha, ulong a, IntPtr aDesc, ulong b, IntPtr bDesc, void* beta,
        ulong c, IntPtr cDesc, ulong d, IntPtr dDesc, void* algo, ulong workspace, nuint workspaceBytes, IntPtr stream);
}
