using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Engine.Runtime.Cuda.Native;

namespace Engine.Runtime.Cuda;

/// <summary>Compiles CUDA C++ with NVRTC. Needs only the NVRTC library (no GPU, no driver).</summary>
public static unsafe class NvrtcCompiler
{
    public sealed record Result(byte[] Ptx, string Log);

    public static bool IsAvailable(out string detail)
    {
        CudaLibraries.EnsureResolver();
        if (!CudaLibraries.TryLoad("nvrtc", out _, out var err)) { detail = err; return false; }
        var (ma, mi) = Version();
        detail = $"NVRTC {ma}.{mi} ({CudaLibraries.Path_("nvrtc")})";
        return true;
    }

    public static (int major, int minor) Version()
    {
        CudaLibraries.EnsureResolver();
        int ma, mi;
        Nvrtc.Check(Nvrtc.nvrtcVersion(&ma, &mi), "nvrtcVersion");
        return (ma, mi);
    }

    /// <summary>Default options: C++17, the given virtual arch, no fast-math (parity with the CPU reference comes first).</summary>
    public static string[] DefaultOptions(string arch) => [$"--gpu-architecture={arch}", "--std=c++17", "-default-device", "-lineinfo"];

    /// <summary>Compile to PTX; throws <see cref="CudaException"/> with the full log on error.</summary>
    public static Result Compile(string source, string name, IReadOnlyDictionary<string, string> headers, IReadOnlyList<string> options)
    {
        CudaLibraries.EnsureResolver();
        IntPtr prog;
        var hNames = headers.Keys.ToArray();
        var hSrc = hNames.Select(k => headers[k]).ToArray();
        var pins = new List<IntPtr>();
        byte* Utf8(string s) { var p = Marshal.StringToCoTaskMemUTF8(s); pins.Add(p); return (byte*)p; }
        try
        {
            var srcP = Utf8(source); var nameP = Utf8(name);
            var hs = stackalloc byte*[Math.Max(1, hNames.Length)];
            var hn = stackalloc byte*[Math.Max(1, hNames.Length)];
            for (int i = 0; i < hNames.Length; i++) { hs[i] = Utf8(hSrc[i]); hn[i] = Utf8(hNames[i]); }
            Nvrtc.Check(Nvrtc.nvrtcCreateProgram(&prog, srcP, nameP, hNames.Length, hs, hn), "nvrtcCreateProgram");
            try
            {
                var opts = stackalloc byte*[Math.Max(1, options.Count)];
                for (int i = 0; i < options.Count; i++) opts[i] = Utf8(options[i]);
                int rc = Nvrtc.nvrtcCompileProgram(prog, options.Count, opts);
                nuint logSize;
                Nvrtc.Check(Nvrtc.nvrtcGetProgramLogSize(prog, &logSize), "nvrtcGetProgramLogSize");
                var log = new byte[(int)logSize];
                fixed (byte* l = log) Nvrtc.Check(Nvrtc.nvrtcGetProgramLog(prog, l), "nvrtcGetProgramLog");
                var logText = Encoding.UTF8.GetString(log).TrimEnd('\0').Trim();
                if (rc != 0) throw new CudaException($"NVRTC could not compile {name} ({string.Join(' ', options)}):\n{logText}");
                nuint ptxSize;
                Nvrtc.Check(Nvrtc.nvrtcGetPTXSize(prog, &ptxSize), "nvrtcGetPTXSize");
                var ptx = new byte[(int)ptxSize];
                fixed (byte* p = ptx) Nvrtc.Check(Nvrtc.nvrtcGetPTX(prog, p), "nvrtcGetPTX");
                return new Result(ptx, logText);
            }
            finally { Nvrtc.nvrtcDestroyProgram(&prog); }
        }
        finally { foreach (var p in pins) Marshal.FreeCoTaskMem(p); }
    }

    /// <summary>Compile through the on-disk cache keyed by (source, headers, options, NVRTC version).</summary>
    public static byte[] CompileCached(string source, string name, IReadOnlyDictionary<string, string> headers, IReadOnlyList<string> options, string cacheDir)
    {
        // The CPU emulator's NVRTC returns an image naming the file, not PTX: never cache it where a real driver would read it
        // (and compiling there is free, while it re-checks the source against the emulator build each time).
        if (CudaLibraries.EmulatorPath is not null) return Compile(source, name, headers, options).Ptx;
        var (ma, mi) = Version();
        var key = new StringBuilder().Append(source).Append('\0');
        foreach (var (k, v) in headers.OrderBy(h => h.Key, StringComparer.Ordinal)) key.Append(k).Append('\0').Append(v).Append('\0');
        key.Append(string.Join('\0', options)).Append('\0').Append(ma).Append('.').Append(mi);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString())));
        var path = Path.Combine(cacheDir, $"{Path.GetFileNameWithoutExtension(name)}-{hash[..24]}.ptx");
        if (File.Exists(path)) return File.ReadAllBytes(path);
        var r = Compile(source, name, headers, options);
        Directory.CreateDirectory(cacheDir);
        var tmp = path + "." + Environment.ProcessId + ".tmp";
        File.WriteAllBytes(tmp, r.Ptx);
        File.Move(tmp, path, overwrite: true);
        return r.Ptx;
    }
}
