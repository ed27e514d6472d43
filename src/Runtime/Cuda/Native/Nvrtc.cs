using System.Runtime.InteropServices;

namespace Engine.Runtime.Cuda.Native;

/// <summary>NVRTC (run-time compilation of CUDA C++ to PTX/CUBIN), bound through "nvrtc" → the probed library.</summary>
internal static unsafe partial class Nvrtc
{
    private const string Lib = "nvrtc";

    [LibraryImport(Lib)] internal static partial int nvrtcVersion(int* major, int* minor);
    [LibraryImport(Lib)] internal static partial int nvrtcCreateProgram(IntPtr* prog, byte* src, byte* name, int numHeaders, byte** headers, byte** includeNames);
    [LibraryImport(Lib)] internal static partial int nvrtcDestroyProgram(IntPtr* prog);
    [LibraryImport(Lib)] internal static partial int nvrtcCompileProgram(IntPtr prog, int numOptions, byte** options);
    [LibraryImport(Lib)] internal static partial int nvrtcGetProgramLogSize(IntPtr prog, nuint* size);
    [LibraryImport(Lib)] internal static partial int nvrtcGetProgramLog(IntPtr prog, byte* log);
    [LibraryImport(Lib)] internal static partial int nvrtcGetPTXSize(IntPtr prog, nuint* size);
    [LibraryImport(Lib)] internal static partial int nvrtcGetPTX(IntPtr prog, byte* ptx);
    [LibraryImport(Lib)] internal static partial int nvrtcGetCUBINSize(IntPtr prog, nuint* size);
    [LibraryImport(Lib)] internal static partial int nvrtcGetCUBIN(IntPtr prog, byte* cubin);
    [LibraryImport(Lib)] internal static partial byte* nvrtcGetErrorString(int result);

    internal static void Check(int rc, string call)
    {
        if (rc == 0) return;
        string msg;
        try { msg = Marshal.PtrToStringUTF8((IntPtr)nvrtcGetErrorString(rc)) ?? "?"; } catch { msg = "?"; }
        throw new CudaException($"{call} failed: NVRTC error {rc} ({msg}).");
    }
}

public sealed class CudaException(string message) : Exception(message);
