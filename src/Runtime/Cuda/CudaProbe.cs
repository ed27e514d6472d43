using System.Runtime.InteropServices;

namespace Engine.Runtime.Cuda;

/// <summary>
/// Finds the CUDA driver without requiring it and says what was tried and why it failed, for `engine doctor`.
/// Uses the same library probing as the bindings (<see cref="Native.CudaLibraries"/>).
/// </summary>
public static unsafe class CudaProbe
{
    public sealed record Result(bool Found, string? Library, int DeviceCount, int DriverVersion, string Detail);

    public static Result Probe()
    {
        Native.CudaLibraries.EnsureResolver();
        if (!Native.CudaLibraries.TryLoad("cuda", out var h, out var error)) return new(false, null, 0, 0, "CUDA driver not found: " + error);
        var name = Native.CudaLibraries.Path_("cuda");
        if (!NativeLibrary.TryGetExport(h, "cuInit", out var init) ||
            !NativeLibrary.TryGetExport(h, "cuDeviceGetCount", out var count) ||
            !NativeLibrary.TryGetExport(h, "cuDriverGetVersion", out var ver))
            return new(false, name, 0, 0, $"{name} loaded but lacks cuInit/cuDeviceGetCount: not a CUDA driver.");
        int rc = ((delegate* unmanaged<uint, int>)init)(0);
        int version = 0, n = 0;
        ((delegate* unmanaged<int*, int>)ver)(&version);
        if (rc != 0) return new(false, name, 0, version, $"cuInit failed with CUresult {rc} (no device visible, or driver/device mismatch).");
        rc = ((delegate* unmanaged<int*, int>)count)(&n);
        if (rc != 0) return new(false, name, 0, version, $"cuDeviceGetCount failed with CUresult {rc}.");
        return new(n > 0, name, n, version, n > 0 ? $"{n} device(s), driver API {version / 1000}.{version % 1000 / 10}" : "driver loaded but no CUDA device.");
    }
}
