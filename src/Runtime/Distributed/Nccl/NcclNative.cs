using System.Runtime.InteropServices;

namespace Engine.Runtime.Distributed.Nccl;

/// <summary>NCCL's unique id: 128 opaque bytes made by rank 0 and handed to every rank before ncclCommInitRank.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NcclUniqueId
{
    public const int Bytes = 128;
    public fixed byte Internal[Bytes];
}

/// <summary>
/// NCCL (libnccl.so.2, shipped with the CUDA stack and in the nvidia-nccl pip wheel), bound through the logical name
/// "nccl" that <see cref="Cuda.Native.CudaLibraries"/> resolves like the other CUDA libraries, on first use only.
/// </summary>
internal static unsafe partial class NcclNative
{
    private const string Lib = "nccl";
    internal const int Sum = 0;
    internal const int Uint8 = 1, Float32 = 7, Float64 = 8, Bfloat16 = 9;

    [LibraryImport(Lib)] internal static partial int ncclGetVersion(int* version);
    [LibraryImport(Lib)] internal static partial int ncclGetUniqueId(NcclUniqueId* uniqueId);
    [LibraryImport(Lib)] internal static partial int ncclCommInitRank(IntPtr* comm, int nranks, NcclUniqueId commId, int rank);
    [LibraryImport(Lib)] internal static partial int ncclCommDestroy(IntPtr comm);
    [LibraryImport(Lib)] internal static partial int ncclAllReduce(void* send, void* recv, nuint count, int datatype, int op, IntPtr comm, IntPtr stream);
    [LibraryImport(Lib)] internal static partial int ncclReduceScatter(void* send, void* recv, nuint recvcount, int datatype, int op, IntPtr comm, IntPtr stream);
    [LibraryImport(Lib)] internal static partial int ncclAllGather(void* send, void* recv, nuint sendcount, int datatype, IntPtr comm, IntPtr stream);
    [LibraryImport(Lib)] internal static partial int ncclBroadcast(void* send, void* recv, nuint count, int datatype, int root, IntPtr comm, IntPtr stream);
    [LibraryImport(Lib)] internal static partial byte* ncclGetErrorString(int result);

    internal static void Check(int rc, string call)
    {
        if (rc == 0) return;
        string msg;
        try { msg = Marshal.PtrToStringUTF8((IntPtr)ncclGetErrorString(rc)) ?? "?"; } catch { msg = "?"; }
        throw new InvalidOperationException($"{call} failed: NCCL error {rc} ({msg}).");
    }
}
