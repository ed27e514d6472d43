using System.Runtime.InteropServices;
using System.Text;

namespace Engine.Tests.Cuda;

/// <summary>
/// The emulator library's exported C ABI, called directly through function pointers (no engine code in between):
/// for tests of the emulator's own semantics and of its cuBLAS against cuBLAS's documented column-major contract.
/// </summary>
public sealed unsafe class EmulatorApi
{
    private readonly IntPtr _lib;
    private readonly Dictionary<string, IntPtr> _syms = [];

    public EmulatorApi(string path)
    {
        _lib = NativeLibrary.Load(path);
        Check(((delegate* unmanaged<uint, int>)Sym("cuInit"))(0), "cuInit");
    }

    public IntPtr Sym(string name)
    {
        lock (_syms)
            return _syms.TryGetValue(name, out var p) ? p : _syms[name] = NativeLibrary.GetExport(_lib, name);
    }

    public string ErrorString(int rc)
    {
        byte* s;
        return ((delegate* unmanaged<int, byte**, int>)Sym("cuGetErrorString"))(rc, &s) == 0 ? Marshal.PtrToStringUTF8((IntPtr)s) ?? "" : $"error {rc}";
    }

    public void Check(int rc, string call)
    {
        if (rc != 0) throw new InvalidOperationException($"{call} failed with {rc}: {ErrorString(rc)}");
    }

    public ulong Alloc(long bytes)
    {
        ulong p;
        Check(((delegate* unmanaged<ulong*, nuint, int>)Sym("cuMemAlloc_v2"))(&p, (nuint)bytes), "cuMemAlloc");
        return p;
    }

    public void Free(ulong p) => Check(((delegate* unmanaged<ulong, int>)Sym("cuMemFree_v2"))(p), "cuMemFree");

    public int Upload<T>(ulong dst, ReadOnlySpan<T> src) where T : unmanaged
    {
        fixed (T* s = src) return ((delegate* unmanaged<ulong, void*, nuint, int>)Sym("cuMemcpyHtoD_v2"))(dst, s, (nuint)(src.Length * sizeof(T)));
    }

    public ulong From<T>(ReadOnlySpan<T> host) where T : unmanaged
    {
        var p = Alloc(Math.Max(1, host.Length * sizeof(T)));
        Check(Upload(p, host), "cuMemcpyHtoD");
        return p;
    }

    /// <summary>A device buffer of n elements filled with 0xFF bytes (NaN for floats), as the engine poisons outputs.</summary>
    public ulong Poisoned<T>(int n) where T : unmanaged
    {
        var p = Alloc(Math.Max(1, n * sizeof(T)));
        Check(((delegate* unmanaged<ulong, byte, nuint, int>)Sym("cuMemsetD8_v2"))(p, 0xFF, (nuint)(n * sizeof(T))), "cuMemsetD8");
        return p;
    }

    public T[] Download<T>(ulong src, int n) where T : unmanaged
    {
        var r = new T[n];
        fixed (T* d = r) Check(((delegate* unmanaged<void*, ulong, nuint, int>)Sym("cuMemcpyDtoH_v2"))(d, src, (nuint)(n * sizeof(T))), "cuMemcpyDtoH");
        return r;
    }

    /// <summary>NVRTC-compile <paramref name="source"/> under <paramref name="file"/>: (status, log, image).</summary>
    public (int rc, string log, byte[] image) Compile(string file, string source, IReadOnlyDictionary<string, string>? headers = null)
    {
        headers ??= new Dictionary<string, string>();
        var pins = new List<IntPtr>();
        byte* U(string s) { var p = Marshal.StringToCoTaskMemUTF8(s); pins.Add(p); return (byte*)p; }
        try
        {
            var names = headers.Keys.ToArray();
            var hs = stackalloc byte*[Math.Max(1, names.Length)];
            var hn = stackalloc byte*[Math.Max(1, names.Length)];
            for (int i = 0; i < names.Length; i++) { hs[i] = U(headers[names[i]]); hn[i] = U(names[i]); }
            IntPtr prog;
            Check(((delegate* unmanaged<IntPtr*, byte*, byte*, int, byte**, byte**, int>)Sym("nvrtcCreateProgram"))(&prog, U(source), U(file), names.Length, hs, hn), "nvrtcCreateProgram");
            int rc = ((delegate* unmanaged<IntPtr, int, byte**, int>)Sym("nvrtcCompileProgram"))(prog, 0, null);
            nuint n;
            ((delegate* unmanaged<IntPtr, nuint*, int>)Sym("nvrtcGetProgramLogSize"))(prog, &n);
            var log = new byte[(int)n];
            fixed (byte* l = log) ((delegate* unmanaged<IntPtr, byte*, int>)Sym("nvrtcGetProgramLog"))(prog, l);
            var image = Array.Empty<byte>();
            if (rc == 0)
            {
                ((delegate* unmanaged<IntPtr, nuint*, int>)Sym("nvrtcGetPTXSize"))(prog, &n);
                image = new byte[(int)n];
                fixed (byte* p = image) ((delegate* unmanaged<IntPtr, byte*, int>)Sym("nvrtcGetPTX"))(prog, p);
            }
            ((delegate* unmanaged<IntPtr*, int>)Sym("nvrtcDestroyProgram"))(&prog);
            return (rc, Encoding.UTF8.GetString(log).TrimEnd('\0'), image);
        }
        finally { foreach (var p in pins) Marshal.FreeCoTaskMem(p); }
    }

    public int LoadModule(byte[] image, out IntPtr module)
    {
        IntPtr m;
        int rc;
        fixed (byte* p = image) rc = ((delegate* unmanaged<IntPtr*, void*, int>)Sym("cuModuleLoadData"))(&m, p);
        module = m;
        return rc;
    }

    public int GetFunction(IntPtr module, string name, out IntPtr function)
    {
        IntPtr f;
        var n = Encoding.UTF8.GetBytes(name + "\0");
        int rc;
        fixed (byte* p = n) rc = ((delegate* unmanaged<IntPtr*, IntPtr, byte*, int>)Sym("cuModuleGetFunction"))(&f, module, p);
        function = f;
        return rc;
    }

    /// <summary>The function <paramref name="name"/> of a file whose exact source is given (compiled, loaded, looked up).</summary>
    public IntPtr Kernel(string file, string source, string name, IReadOnlyDictionary<string, string>? headers = null)
    {
        var (rc, log, image) = Compile(file, source, headers);
        if (rc != 0) throw new InvalidOperationException($"nvrtcCompileProgram({file}) = {rc}: {log}");
        Check(LoadModule(image, out var m), "cuModuleLoadData");
        Check(GetFunction(m, name, out var f), "cuModuleGetFunction");
        return f;
    }

    /// <summary>cuLaunchKernel with each argument marshalled into its own 8-byte slot, as CudaDevice.Launch does.</summary>
    public int Launch(IntPtr f, (uint x, uint y, uint z) grid, (uint x, uint y, uint z) block, uint shared, IntPtr stream, params object[] args)
    {
        var slots = new ulong[Math.Max(1, args.Length)];
        for (int i = 0; i < args.Length; i++)
            slots[i] = args[i] switch
            {
                int x => (uint)x, uint x => x, long x => (ulong)x, ulong x => x,
                float x => BitConverter.SingleToUInt32Bits(x), double x => BitConverter.DoubleToUInt64Bits(x),
                _ => throw new ArgumentException($"argument type {args[i].GetType().Name}"),
            };
        fixed (ulong* s = slots)
        {
            var ptrs = stackalloc void*[Math.Max(1, args.Length)];
            for (int i = 0; i < args.Length; i++) ptrs[i] = &s[i];
            return ((delegate* unmanaged<IntPtr, uint, uint, uint, uint, uint, uint, uint, IntPtr, void**, void**, int>)Sym("cuLaunchKernel"))(
                f, grid.x, grid.y, grid.z, block.x, block.y, block.z, shared, stream, ptrs, null);
        }
    }

    public IntPtr CreateStream()
    {
        IntPtr s;
        Check(((delegate* unmanaged<IntPtr*, uint, int>)Sym("cuStreamCreate"))(&s, 1), "cuStreamCreate");
        return s;
    }

    public int BeginCapture(IntPtr stream, int mode = 0) => ((delegate* unmanaged<IntPtr, int, int>)Sym("cuStreamBeginCapture_v2"))(stream, mode);

    public int EndCapture(IntPtr stream, out IntPtr graph)
    {
        IntPtr g;
        int rc = ((delegate* unmanaged<IntPtr, IntPtr*, int>)Sym("cuStreamEndCapture"))(stream, &g);
        graph = g;
        return rc;
    }

    public int CaptureStatus(IntPtr stream)
    {
        int st;
        Check(((delegate* unmanaged<IntPtr, int*, int>)Sym("cuStreamIsCapturing"))(stream, &st), "cuStreamIsCapturing");
        return st;
    }

    public IntPtr Instantiate(IntPtr graph)
    {
        IntPtr e;
        Check(((delegate* unmanaged<IntPtr*, IntPtr, ulong, int>)Sym("cuGraphInstantiateWithFlags"))(&e, graph, 0), "cuGraphInstantiateWithFlags");
        return e;
    }

    public int GraphLaunch(IntPtr exec, IntPtr stream) => ((delegate* unmanaged<IntPtr, IntPtr, int>)Sym("cuGraphLaunch"))(exec, stream);

    public IntPtr Blas()
    {
        IntPtr h;
        Check(((delegate* unmanaged<IntPtr*, int>)Sym("cublasCreate_v2"))(&h), "cublasCreate");
        return h;
    }

    public int BlasSetStream(IntPtr h, IntPtr stream) => ((delegate* unmanaged<IntPtr, IntPtr, int>)Sym("cublasSetStream_v2"))(h, stream);

    public int GemmEx(IntPtr h, int ta, int tb, int m, int n, int k, float alpha, ulong a, int at, int lda, ulong b, int bt, int ldb, float beta, ulong c, int ct, int ldc, int compute = 68) =>
        ((delegate* unmanaged<IntPtr, int, int, int, int, int, void*, ulong, int, int, ulong, int, int, void*, ulong, int, int, int, int, int>)Sym("cublasGemmEx"))(
            h, ta, tb, m, n, k, &alpha, a, at, lda, b, bt, ldb, &beta, c, ct, ldc, compute, -1);

    public int GemmStridedBatchedEx(IntPtr h, int ta, int tb, int m, int n, int k, float alpha, ulong a, int at, int lda, long sa, ulong b, int bt, int ldb, long sb,
        float beta, ulong c, int ct, int ldc, long sc, int batch) =>
        ((delegate* unmanaged<IntPtr, int, int, int, int, int, void*, ulong, int, int, long, ulong, int, int, long, void*, ulong, int, int, long, int, int, int, int>)Sym("cublasGemmStridedBatchedEx"))(
            h, ta, tb, m, n, k, &alpha, a, at, lda, sa, b, bt, ldb, sb, &beta, c, ct, ldc, sc, batch, 68, -1);
}
