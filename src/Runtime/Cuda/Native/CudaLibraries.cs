using System.Reflection;
using System.Runtime.InteropServices;

namespace Engine.Runtime.Cuda.Native;

/// <summary>
/// Resolves the logical library names used by our [LibraryImport]s ("cuda", "nvrtc", "cublas", "cublasLt")
/// to whatever this machine has: CUDA 13, 12 or 11 sonames, under CUDA_PATH, /usr/local/cuda*/lib64,
/// the NVIDIA pip wheels' folders, or the loader's default search path. Failures name what was tried.
/// With ENGINE_CUDA_EMULATOR=&lt;path to libengine_cuda_emu.so&gt; (or <see cref="UseEmulator"/> before first use)
/// every logical library resolves to the CPU emulator instead (native/cuda-emulator): kernels then run on the CPU.
/// </summary>
public static class CudaLibraries
{
    /// <summary>Environment variable naming the CPU emulator library that stands in for the CUDA driver, NVRTC and cuBLAS.</summary>
    public const string EmulatorVariable = "ENGINE_CUDA_EMULATOR";

    private static string? _emulator = Environment.GetEnvironmentVariable(EmulatorVariable) is { Length: > 0 } e ? Path.GetFullPath(e) : null;

    /// <summary>The emulator library in use, or null when the real CUDA libraries are used.</summary>
    public static string? EmulatorPath { get { lock (Resolved) return _emulator; } }

    /// <summary>
    /// Route "cuda", "nvrtc", "cublas" and "cublasLt" to the CPU emulator at <paramref name="path"/>. Must be called
    /// before any of them is loaded in this process (a P/Invoke stays bound to the library it first resolved).
    /// </summary>
    public static void UseEmulator(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"CUDA emulator library not found: {full}", full);
        lock (Resolved)
        {
            if (_emulator == full) return;
            if (Resolved.Count > 0)
                throw new InvalidOperationException($"CudaLibraries.UseEmulator({full}) after {string.Join(", ", Resolved.Keys)} was already loaded from {string.Join(", ", Resolved.Values)}; call it before first use.");
            _emulator = full;
            Failures.Clear();
        }
    }

    private static readonly Dictionary<string, string[]> Names = new()
    {
        ["cuda"] = ["libcuda.so.1", "libcuda.so", "nvcuda.dll"],
        ["nvrtc"] = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so", "nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll"],
        ["cublas"] = ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so", "cublas64_13.dll", "cublas64_12.dll", "cublas64_11.dll"],
        ["nccl"] = ["libnccl.so.2", "libnccl.so"],
        ["cublasLt"] = ["libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so.11", "libcublasLt.so", "cublasLt64_13.dll", "cublasLt64_12.dll", "cublasLt64_11.dll"],
    };

    private static readonly Dictionary<string, string> Resolved = [];
    private static readonly Dictionary<string, string> Failures = [];
    private static int _installed;

    /// <summary>Install the resolver once for this assembly (idempotent).</summary>
    public static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(CudaLibraries).Assembly, Resolve);
    }

    private static IntPtr Resolve(string name, Assembly asm, DllImportSearchPath? path)
    {
        if (!Names.ContainsKey(name)) return IntPtr.Zero;
        return TryLoad(name, out var h, out _) ? h : IntPtr.Zero;
    }

    public static IEnumerable<string> SearchDirectories()
    {
        if (Environment.GetEnvironmentVariable("CUDA_PATH") is { Length: > 0 } cp)
        {
            yield return Path.Combine(cp, "lib64");
            yield return Path.Combine(cp, "lib");
            yield return Path.Combine(cp, "bin");
        }
        foreach (var d in new[] { "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/local/cuda/compat", "/usr/lib/wsl/lib", "/usr/lib64" }) yield return d;
        if (Directory.Exists("/usr/local"))
            foreach (var d in Directory.GetDirectories("/usr/local", "cuda-*").OrderDescending()) yield return Path.Combine(d, "lib64");
        // pip wheels: site-packages/nvidia/<component>/lib
        foreach (var root in new[] { "/usr/local/lib", "/usr/lib", Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local/lib") })
        {
            if (!Directory.Exists(root)) continue;
            foreach (var py in Directory.GetDirectories(root, "python3*"))
                foreach (var site in new[] { "site-packages", "dist-packages" })
                {
                    var nv = Path.Combine(py, site, "nvidia");
                    if (!Directory.Exists(nv)) continue;
                    foreach (var comp in Directory.GetDirectories(nv)) yield return Path.Combine(comp, "lib");
                }
        }
        yield return "/usr/lib/x86_64-linux-gnu";
    }

    /// <summary>Load a logical library; on failure <paramref name="error"/> lists every file tried.</summary>
    public static bool TryLoad(string logical, out IntPtr handle, out string error)
    {
        lock (Resolved)
        {
            handle = IntPtr.Zero; error = "";
            if (Resolved.TryGetValue(logical, out var done) && NativeLibrary.TryLoad(done, out handle)) return true;
            if (Failures.TryGetValue(logical, out var f)) { error = f; return false; }
            if (_emulator is { } emu)
            {
                // Never fall back to a real library: results must not silently mix emulator and GPU.
                if (NativeLibrary.TryLoad(emu, out handle)) { Resolved[logical] = emu; return true; }
                error = $"{logical}: {EmulatorVariable}={emu} could not be loaded (build it with native/cuda-emulator/build.sh <outdir>).";
                Failures[logical] = error;
                return false;
            }
            var tried = new List<string>();
            foreach (var n in Names[logical])
            {
                tried.Add(n);
                if (NativeLibrary.TryLoad(n, out handle)) { Resolved[logical] = n; return true; }
            }
            foreach (var dir in SearchDirectories().Distinct())
            {
                if (!Directory.Exists(dir)) continue;
                foreach (var n in Names[logical])
                {
                    var p = Path.Combine(dir, n);
                    if (!File.Exists(p)) continue;
                    tried.Add(p);
                    if (NativeLibrary.TryLoad(p, out handle)) { Resolved[logical] = p; return true; }
                }
            }
            error = $"{logical}: not found (tried {string.Join(", ", tried)}; set CUDA_PATH or LD_LIBRARY_PATH).";
            Failures[logical] = error;
            return false;
        }
    }

    public static string? Path_(string logical) { lock (Resolved) return Resolved.GetValueOrDefault(logical); }
}
