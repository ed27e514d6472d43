using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;

namespace Engine.Tests.Cuda;

/// <summary>
/// The CPU emulator of CUDA (native/cuda-emulator), built on demand with g++ into a cache folder keyed by a hash of
/// kernels/* and native/cuda-emulator/* (once per content, shared by concurrent test processes), and an isolated copy
/// of the engine whose CUDA libraries resolve to it. Isolation matters: a P/Invoke stays bound to the first library it
/// resolved, and other tests in this process use the real NVRTC (kernels check) or expect "no driver".
/// </summary>
public static class CudaEmulator
{
    private static readonly Lazy<string> Built = new(() => Build(Path.Combine(RepoRoot(), "kernels")), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<IsolatedEngine> Engine = new(() => new IsolatedEngine(), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Path of libengine_cuda_emu.so for the current sources (built on first use).</summary>
    public static string LibraryPath => Built.Value;

    public static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "native", "cuda-emulator", "build.sh"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new DirectoryNotFoundException("native/cuda-emulator/build.sh not found above the test binary");
    }

    /// <summary>Run static <paramref name="method"/> of <see cref="EmulatorInside"/> in the isolated engine bound to the emulator.</summary>
    public static T Inside<T>(string method, params object[] args)
    {
        var lib = LibraryPath;
        var type = Engine.Value.TestAssembly.GetType(typeof(EmulatorInside).FullName!, throwOnError: true)!;
        var m = type.GetMethod(method, BindingFlags.Public | BindingFlags.Static) ?? throw new MissingMethodException(type.FullName, method);
        try { return (T)m.Invoke(null, [lib, .. args])!; }
        catch (TargetInvocationException e) when (e.InnerException is not null) { throw new Exception($"{method} inside the emulated engine failed: {e.InnerException.Message}", e.InnerException); }
    }

    /// <summary>Build the emulator with the kernel files of <paramref name="kernelsDir"/> (cached by content hash).</summary>
    public static string Build(string kernelsDir)
    {
        var root = RepoRoot();
        var sources = Directory.GetFiles(kernelsDir).Where(f => f.EndsWith(".cu") || f.EndsWith(".cuh"))
            .Concat(Directory.GetFiles(Path.Combine(root, "native", "cuda-emulator")))
            .OrderBy(f => f, StringComparer.Ordinal).ToArray();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var f in sources)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(f) + "\0"));
            sha.AppendData(File.ReadAllBytes(f));
        }
        var hash = Convert.ToHexStringLower(sha.GetHashAndReset())[..16];
        var coreHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\0',
            sources.Where(f => !f.EndsWith(".cu") && !f.EndsWith(".cuh")).Select(f => Path.GetFileName(f) + "\0" + File.ReadAllText(f))))))[..16];
        var cache = Path.Combine(Path.GetTempPath(), "engine-cuda-emulator");
        var dir = Path.Combine(cache, hash);
        var lib = Path.Combine(dir, "libengine_cuda_emu.so");
        if (File.Exists(lib)) return lib;
        Directory.CreateDirectory(cache);
        using var lockFile = AcquireLock(Path.Combine(cache, hash + ".lock"));
        if (File.Exists(lib)) return lib;
        if (!CanRun("g++", "--version"))
            throw new InvalidOperationException("The CUDA emulator tests need g++ to build native/cuda-emulator (apt-get install g++); it was not found on PATH.");
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        psi.Environment["ENGINE_KERNELS_DIR"] = kernelsDir;
        psi.Environment["ENGINE_EMU_CORE_CACHE"] = Path.Combine(cache, "core-" + coreHash); // the emulator's own objects, shared by kernel sets
        psi.ArgumentList.Add(Path.Combine(root, "native", "cuda-emulator", "build.sh"));
        psi.ArgumentList.Add(dir);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10))) { p.Kill(entireProcessTree: true); throw new TimeoutException("native/cuda-emulator/build.sh took over 10 minutes."); }
        if (p.ExitCode != 0 || !File.Exists(lib))
            throw new InvalidOperationException($"native/cuda-emulator/build.sh failed (exit {p.ExitCode}):\n{stdout}\n{stderr.Result}");
        return lib;
    }

    private static FileStream AcquireLock(string path)
    {
        var until = DateTime.UtcNow.AddMinutes(10);
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < until) { Thread.Sleep(200); }
        }
    }

    private static bool CanRun(string exe, string arg)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(exe, arg) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    /// <summary>Fresh copies of the Engine.* assemblies (and of this test assembly) with their own native bindings.</summary>
    private sealed class IsolatedEngine : AssemblyLoadContext
    {
        private readonly string _dir = AppContext.BaseDirectory;
        public Assembly TestAssembly { get; }

        public IsolatedEngine() : base("engine-on-cuda-emulator") => TestAssembly = LoadFromAssemblyPath(typeof(CudaEmulator).Assembly.Location);

        protected override Assembly? Load(AssemblyName name)
        {
            if (name.Name is not { } n || !n.StartsWith("Engine.", StringComparison.Ordinal)) return null; // framework, xunit: shared
            var path = Path.Combine(_dir, n + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }
}
