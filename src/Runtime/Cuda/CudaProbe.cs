using System.Runtime.InteropServices;

namespace Engine.Runtime.Cuda;

/// <summary>
/// Finds the CUDA driver library without requiring it: reports what was tried and why it failed,
/// for `engine doctor`. The full bindings (driver, NVRTC, cuBLAS) build on the same probing.
/// </summary>
public static unsafe class CudaProbe
{
    public sealed record Result(bool Found, string? Library, int DeviceCount, int DriverVersion, string Detail);

    public static IEnumerable<string> DriverCandidates()
    {
        yield return "libcuda.so.1";
        yield return "libcuda.so";
        foreach (var dir in new[] { "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/local/cuda/compat", "/usr/lib/wsl/lib" })
            yield return Path.Combine(dir, "libcuda.so.1");
        if (OperatingSystem.IsWindows()) yield return "nvcuda.dll";
    }

    public static Result Probe()
    {
        var tried = new List<string>();
        foreach (var name in DriverCandidates())
        {
            tried.Add(name);
            if (!NativeLibrary.TryLoad(name, out var h)) continue;
            try
            {
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
            finally { /* keep the library loaded: unloading a driver mid-process is not safe */ }
        }
        return new(false, null, 0, 0, "CUDA driver not found (tried " + string.Join(", ", tried) + ").");
    }
}
