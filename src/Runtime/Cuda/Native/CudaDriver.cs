using System.Runtime.InteropServices;

namespace Engine.Runtime.Cuda.Native;

/// <summary>The CUDA driver API calls the engine uses, bound through "cuda" → the probed libcuda.</summary>
internal static unsafe partial class CudaDriver
{
    private const string Lib = "cuda";

    [LibraryImport(Lib)] internal static partial int cuInit(uint flags);
    [LibraryImport(Lib)] internal static partial int cuDriverGetVersion(int* version);
    [LibraryImport(Lib)] internal static partial int cuDeviceGetCount(int* count);
    [LibraryImport(Lib)] internal static partial int cuDeviceGet(int* device, int ordinal);
    [LibraryImport(Lib)] internal static partial int cuDeviceGetName(byte* name, int len, int device);
    [LibraryImport(Lib)] internal static partial int cuDeviceGetAttribute(int* value, int attribute, int device);
    [LibraryImport(Lib, EntryPoint = "cuDeviceTotalMem_v2")] internal static partial int cuDeviceTotalMem(nuint* bytes, int device);
    [LibraryImport(Lib)] internal static partial int cuDevicePrimaryCtxRetain(IntPtr* ctx, int device);
    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRelease_v2")] internal static partial int cuDevicePrimaryCtxRelease(int device);
    [LibraryImport(Lib)] internal static partial int cuCtxSetCurrent(IntPtr ctx);
    [LibraryImport(Lib)] internal static partial int cuCtxSynchronize();
    [LibraryImport(Lib, EntryPoint = "cuMemAlloc_v2")] internal static partial int cuMemAlloc(ulong* dptr, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemFree_v2")] internal static partial int cuMemFree(ulong dptr);
    [LibraryImport(Lib, EntryPoint = "cuMemGetInfo_v2")] internal static partial int cuMemGetInfo(nuint* free, nuint* total);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoD_v2")] internal static partial int cuMemcpyHtoD(ulong dst, void* src, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoH_v2")] internal static partial int cuMemcpyDtoH(void* dst, ulong src, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoD_v2")] internal static partial int cuMemcpyDtoD(ulong dst, ulong src, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemsetD8_v2")] internal static partial int cuMemsetD8(ulong dst, byte value, nuint count);
    [LibraryImport(Lib)] internal static partial int cuModuleLoadData(IntPtr* module, void* image);
    [LibraryImport(Lib)] internal static partial int cuModuleUnload(IntPtr module);
    [LibraryImport(Lib)] internal static partial int cuModuleGetFunction(IntPtr* function, IntPtr module, byte* name);
    [LibraryImport(Lib)] internal static partial int cuLaunchKernel(IntPtr f, uint gx, uint gy, uint gz, uint bx, uint by, uint bz, uint sharedBytes, IntPtr stream, void** args, void** extra);
    [LibraryImport(Lib)] internal static partial int cuStreamCreate(IntPtr* stream, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuStreamDestroy_v2")] internal static partial int cuStreamDestroy(IntPtr stream);
    [LibraryImport(Lib)] internal static partial int cuStreamSynchronize(IntPtr stream);
    [LibraryImport(Lib)] internal static partial int cuEventCreate(IntPtr* ev, uint flags);
    [LibraryImport(Lib)] internal static partial int cuEventRecord(IntPtr ev, IntPtr stream);
    [LibraryImport(Lib)] internal static partial int cuEventSynchronize(IntPtr ev);
    [LibraryImport(Lib)] internal static partial int cuEventElapsedTime(float* ms, IntPtr start, IntPtr end);
    [LibraryImport(Lib, EntryPoint = "cuEventDestroy_v2")] internal static partial int cuEventDestroy(IntPtr ev);
    [LibraryImport(Lib)] internal static partial int cuEventQuery(IntPtr ev);
    [LibraryImport(Lib)] internal static partial int cuStreamQuery(IntPtr stream);
    [LibraryImport(Lib)] internal static partial int cuStreamWaitEvent(IntPtr stream, IntPtr ev, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuMemsetD8Async")] internal static partial int cuMemsetD8Async(ulong dst, byte value, nuint count, IntPtr stream);
    // Stream capture and graphs (cuda.h maps cuStreamBeginCapture to the _v2 symbol since CUDA 10.1).
    [LibraryImport(Lib, EntryPoint = "cuStreamBeginCapture_v2")] internal static partial int cuStreamBeginCapture(IntPtr stream, int mode);
    [LibraryImport(Lib)] internal static partial int cuStreamEndCapture(IntPtr stream, IntPtr* graph);
    [LibraryImport(Lib)] internal static partial int cuStreamIsCapturing(IntPtr stream, int* status);
    [LibraryImport(Lib)] internal static partial int cuGraphInstantiateWithFlags(IntPtr* exec, IntPtr graph, ulong flags);
    [LibraryImport(Lib)] internal static partial int cuGraphLaunch(IntPtr exec, IntPtr stream);
    [LibraryImport(Lib)] internal static partial int cuGraphExecDestroy(IntPtr exec);
    [LibraryImport(Lib)] internal static partial int cuGraphDestroy(IntPtr graph);
    [LibraryImport(Lib)] internal static partial int cuGetErrorName(int error, byte** name);
    [LibraryImport(Lib)] internal static partial int cuGetErrorString(int error, byte** text);

    // CUresult CUDA_ERROR_NOT_READY (cuda.h): an event/stream query whose work has not completed yet.
    internal const int ErrorNotReady = 600;
    // CUstream_flags CU_STREAM_NON_BLOCKING = 0x1; CUevent_flags CU_EVENT_DISABLE_TIMING = 0x2 (cuda.h).
    internal const uint StreamNonBlocking = 1, EventDefault = 0, EventDisableTiming = 2;
    // CUstreamCaptureMode (cuda.h): GLOBAL = 0, THREAD_LOCAL = 1, RELAXED = 2.
    // CUstreamCaptureStatus: NONE = 0, ACTIVE = 1, INVALIDATED = 2.
    internal const int CaptureModeGlobal = 0, CaptureModeThreadLocal = 1, CaptureModeRelaxed = 2;
    internal const int CaptureStatusNone = 0, CaptureStatusActive = 1, CaptureStatusInvalidated = 2;

    internal const int AttrComputeCapabilityMajor = 75, AttrComputeCapabilityMinor = 76, AttrMultiprocessorCount = 16;

    /// <summary>Turn a CUresult into an exception that names the call and the error.</summary>
    internal static void Check(int rc, string call)
    {
        if (rc == 0) return;
        string name = "?", text = "?";
        try
        {
            byte* p;
            if (cuGetErrorName(rc, &p) == 0) name = Marshal.PtrToStringUTF8((IntPtr)p) ?? "?";
            if (cuGetErrorString(rc, &p) == 0) text = Marshal.PtrToStringUTF8((IntPtr)p) ?? "?";
        }
        catch { /* the error itself is what matters */ }
        if (rc == 2) throw new OutOfMemoryException($"{call}: CUDA out of memory ({name}: {text}).");
        throw new CudaException($"{call} failed: {name} ({rc}): {text}.");
    }
}
