using System.Runtime.InteropServices;
using Engine.Runtime.Cuda.Native;

namespace Engine.Runtime.Cuda;

/// <summary>
/// One GPU: its primary context, a stream, a device-memory cache and the kernels loaded for its arch.
/// Kernels are compiled by NVRTC for the device's compute capability on first use and cached on disk.
/// </summary>
public sealed unsafe class CudaDevice : IDisposable
{
    private static readonly Dictionary<int, CudaDevice> Open = [];
    private readonly Dictionary<string, IntPtr> _modules = [];
    private readonly Dictionary<(string, string), IntPtr> _functions = [];
    private readonly Dictionary<string, string> _origins = [];

    /// <summary>For each loaded kernels/*.cu file: where its code came from (prebuilt fatbin or NVRTC, and why).</summary>
    public IReadOnlyDictionary<string, string> KernelOrigins { get { lock (_functions) return new Dictionary<string, string>(_origins); } }
    private readonly IntPtr _ctx;

    public int Ordinal { get; }
    public string Name { get; }
    public int ComputeMajor { get; }
    public int ComputeMinor { get; }
    public int Multiprocessors { get; }
    public long TotalMemory { get; }
    /// <summary>The default stream's handle (<see cref="DefaultStream"/>).</summary>
    public IntPtr Stream { get; }
    /// <summary>The engine's stream for this device: non-blocking, created with the device, destroyed with it.</summary>
    public CudaStream DefaultStream { get; }
    public CudaMemoryPool Memory { get; }

    /// <summary>
    /// Fill every new uninitialised tensor with 0xFF bytes (NaN for floats), so an element a kernel forgot to write shows
    /// up as NaN instead of stale pool data. For checks (the op table turns it on); off by default (it costs a memset).
    /// </summary>
    public bool PoisonAllocations { get; set; }

    private readonly AsyncLocal<CudaStream?> _current = new();

    /// <summary>
    /// Where launches, cuBLAS calls, pool allocations and <see cref="Synchronize"/> go on this thread / async flow:
    /// <see cref="DefaultStream"/> unless a <see cref="UseStream"/> scope says otherwise.
    /// </summary>
    public CudaStream CurrentStream => _current.Value ?? DefaultStream;

    /// <summary>Route this flow's work on the device to <paramref name="stream"/> until the returned scope is disposed.</summary>
    public IDisposable UseStream(CudaStream stream)
    {
        if (stream.Device != this) throw new ArgumentException($"{stream} belongs to another device than cuda:{Ordinal}.", nameof(stream));
        var previous = _current.Value;
        _current.Value = stream;
        return new StreamScope(this, previous);
    }

    private sealed class StreamScope(CudaDevice device, CudaStream? previous) : IDisposable
    {
        private bool _done;
        public void Dispose() { if (!_done) { device._current.Value = previous; _done = true; } }
    }
    public string Arch => $"compute_{ComputeMajor}{ComputeMinor}";

    public static string KernelCacheDir =>
        Environment.GetEnvironmentVariable("ENGINE_KERNEL_CACHE") is { Length: > 0 } d ? d
        : Path.Combine(Engine.Runtime.Paths.Home, "kernel-cache");

    public static CudaDevice Get(int ordinal)
    {
        lock (Open)
        {
            if (Open.TryGetValue(ordinal, out var d)) return d;
            return Open[ordinal] = new CudaDevice(ordinal);
        }
    }

    private CudaDevice(int ordinal)
    {
        CudaLibraries.EnsureResolver();
        if (!CudaLibraries.TryLoad("cuda", out _, out var err)) throw new CudaException("CUDA driver not available: " + err);
        CudaDriver.Check(CudaDriver.cuInit(0), "cuInit");
        int count;
        CudaDriver.Check(CudaDriver.cuDeviceGetCount(&count), "cuDeviceGetCount");
        if (ordinal < 0 || ordinal >= count) throw new CudaException($"cuda:{ordinal} requested but {count} CUDA device(s) are visible.");
        int dev;
        CudaDriver.Check(CudaDriver.cuDeviceGet(&dev, ordinal), "cuDeviceGet");
        Ordinal = ordinal;
        var name = stackalloc byte[256];
        CudaDriver.Check(CudaDriver.cuDeviceGetName(name, 256, dev), "cuDeviceGetName");
        Name = Marshal.PtrToStringUTF8((IntPtr)name) ?? "?";
        int v;
        CudaDriver.Check(CudaDriver.cuDeviceGetAttribute(&v, CudaDriver.AttrComputeCapabilityMajor, dev), "cuDeviceGetAttribute(major)"); ComputeMajor = v;
        CudaDriver.Check(CudaDriver.cuDeviceGetAttribute(&v, CudaDriver.AttrComputeCapabilityMinor, dev), "cuDeviceGetAttribute(minor)"); ComputeMinor = v;
        CudaDriver.Check(CudaDriver.cuDeviceGetAttribute(&v, CudaDriver.AttrMultiprocessorCount, dev), "cuDeviceGetAttribute(SMs)"); Multiprocessors = v;
        nuint total;
        CudaDriver.Check(CudaDriver.cuDeviceTotalMem(&total, dev), "cuDeviceTotalMem");
        TotalMemory = (long)total;
        IntPtr ctx;
        CudaDriver.Check(CudaDriver.cuDevicePrimaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain");
        _ctx = ctx;
        MakeCurrent();
        IntPtr s;
        CudaDriver.Check(CudaDriver.cuStreamCreate(&s, 1 /* non-blocking */), "cuStreamCreate");
        Stream = s;
        DefaultStream = new CudaStream(this, s, owned: false);
        Memory = new CudaMemoryPool(this);
    }

    public void MakeCurrent() => CudaDriver.Check(CudaDriver.cuCtxSetCurrent(_ctx), "cuCtxSetCurrent");

    /// <summary>Wait for the current stream's work (see <see cref="CurrentStream"/>).</summary>
    public void Synchronize() => CurrentStream.Synchronize();

    /// <summary>The kernel <paramref name="function"/> of kernels/<paramref name="file"/>, compiled for this device.</summary>
    internal IntPtr Function(string file, string function)
    {
        lock (_functions)
        {
            if (_functions.TryGetValue((file, function), out var f)) return f;
            if (!_modules.TryGetValue(file, out var module))
            {
                MakeCurrent();
                var fatbin = PrebuiltKernels.Find(file, out var detail);
                string origin;
                (module, origin) = LoadModule(file, fatbin, detail, image =>
                {
                    IntPtr m;
                    int rc;
                    fixed (byte* p = image) rc = CudaDriver.cuModuleLoadData(&m, p);
                    return (rc, m);
                }, () =>
                {
                    var ptx = NvrtcCompiler.CompileCached(KernelSources.Source(file), file, KernelSources.Headers(), NvrtcCompiler.DefaultOptions(Arch), KernelCacheDir);
                    var image = new byte[ptx.Length + 1]; // NUL-terminated PTX text
                    ptx.CopyTo(image, 0);
                    return image;
                }, Arch);
                _modules[file] = module;
                _origins[file] = origin;
            }
            var nameBytes = System.Text.Encoding.UTF8.GetBytes(function + "\0");
            fixed (byte* n = nameBytes) CudaDriver.Check(CudaDriver.cuModuleGetFunction(&f, module, n), $"cuModuleGetFunction({file}:{function})");
            return _functions[(file, function)] = f;
        }
    }

    /// <summary>
    /// Load a kernel file's module: the ahead-of-time <paramref name="fatbin"/> when there is one and the driver takes it
    /// (it picks the SASS for this GPU or JITs the PTX, and refuses when neither fits), else the NVRTC image.
    /// Returns the module and where it came from, for <see cref="KernelOrigins"/>.
    /// </summary>
    internal static (T module, string origin) LoadModule<T>(string file, byte[]? fatbin, string prebuiltDetail, Func<byte[], (int rc, T module)> load, Func<byte[]> nvrtcImage, string arch)
    {
        var detail = prebuiltDetail;
        if (fatbin is not null)
        {
            var (rc, m) = load(fatbin);
            if (rc == 0) return (m, detail);
            detail += $" (driver refused it: CUresult {rc})";
        }
        var (rc2, m2) = load(nvrtcImage());
        CudaDriver.Check(rc2, $"cuModuleLoadData({file})");
        return (m2, $"NVRTC for {arch}; {detail}");
    }

    // Per kernel id (CudaKernel.Id): its function on this device (0 until loaded) and how often it was launched here.
    private IntPtr[] _kernelFunctions = [];
    private long[] _launchCounts = [];
    private readonly List<CudaKernel> _loadedKernels = [];

    /// <summary>Launches per kernel function name on this device since it was opened: what the op table covered.</summary>
    public IReadOnlyDictionary<string, long> LaunchCounts
    {
        get
        {
            lock (_functions)
                return _loadedKernels.ToDictionary(k => k.Name, k => Interlocked.Read(ref _launchCounts[k.Id]));
        }
    }

    private IntPtr Function(CudaKernel k)
    {
        var fns = _kernelFunctions;
        if (k.Id < fns.Length && fns[k.Id] != IntPtr.Zero) return fns[k.Id];
        var f = Function(k.File, k.Name);
        lock (_functions)
        {
            if (k.Id >= _kernelFunctions.Length)
            {
                // Grown before the kernel's first launch, under the lock: no count is lost to a resize.
                int n = Math.Max(k.Id + 1, _kernelFunctions.Length * 2);
                var counts = new long[n]; _launchCounts.CopyTo(counts, 0);
                var functions = new IntPtr[n]; _kernelFunctions.CopyTo(functions, 0);
                _launchCounts = counts;
                _kernelFunctions = functions;
            }
            if (_kernelFunctions[k.Id] == IntPtr.Zero) _loadedKernels.Add(k);
            _kernelFunctions[k.Id] = f;
        }
        return f;
    }

    /// <summary>
    /// Launch <paramref name="kernel"/> on <paramref name="stream"/> with the argument addresses in <paramref name="args"/>
    /// (what the generated typed launchers pass: no boxing, no allocation), and count the launch.
    /// </summary>
    internal void Launch(CudaKernel kernel, CudaStream stream, Grid grid, void** args)
    {
        if (stream.Device != this) throw new ArgumentException($"{stream} belongs to another device than cuda:{Ordinal}.", nameof(stream));
        var f = Function(kernel);
        var (gx, gy, gz, threads) = grid.Resolve(kernel, Multiprocessors);
        MakeCurrent();
        int rc = CudaDriver.cuLaunchKernel(f, gx, gy, gz, threads, 1, 1, grid.SharedBytes, stream.Handle, args, null);
        if (rc != 0) CudaDriver.Check(rc, $"cuLaunchKernel({kernel})");
        Interlocked.Increment(ref _launchCounts[kernel.Id]);
    }

    public void Dispose()
    {
        lock (Open) Open.Remove(Ordinal);
        MakeCurrent();
        foreach (var m in _modules.Values) CudaDriver.cuModuleUnload(m);
        Memory.Dispose();
        CudaDriver.cuStreamDestroy(Stream);
    }
}

/// <summary>A device address passed to a kernel.</summary>
public readonly record struct CudaPointer(ulong Address);
