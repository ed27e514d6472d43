using System.Runtime.InteropServices;

namespace Engine.Bench;

/// <summary>
/// Debian's libopenblas0-pthread, P/Invoked for comparison only (never a runtime dependency of Engine).
/// OPENBLAS_CORETYPE / OPENBLAS_NUM_THREADS are read when the library loads, so they must be in the process environment
/// before the first call (see <see cref="OpenBlasEnv"/>).
/// </summary>
internal static unsafe partial class OpenBlas
{
    public const string Path = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0";
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    [LibraryImport(Path, EntryPoint = "cblas_sgemm")]
    private static partial void CblasSgemm(int order, int transA, int transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Path, EntryPoint = "cblas_sgemv")]
    private static partial void CblasSgemv(int order, int trans, int m, int n, float alpha, float* a, int lda, float* x, int incX, float beta, float* y, int incY);

    [LibraryImport(Path, EntryPoint = "openblas_get_corename")]
    private static partial nint GetCoreName();

    [LibraryImport(Path, EntryPoint = "openblas_get_config")]
    private static partial nint GetConfig();

    [LibraryImport(Path, EntryPoint = "openblas_get_num_threads")]
    public static partial int NumThreads();

    [LibraryImport(Path, EntryPoint = "openblas_set_num_threads")]
    public static partial void SetNumThreads(int threads);

    public static bool Available => File.Exists(Path);

    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
        => CblasSgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>y[m] = alpha·A·x + beta·y, A row-major m×n.</summary>
    public static void Sgemv(int m, int n, float alpha, float* a, int lda, float* x, float beta, float* y)
        => CblasSgemv(RowMajor, NoTrans, m, n, alpha, a, lda, x, 1, beta, y, 1);

    public static string Describe() => $"{Marshal.PtrToStringUTF8(GetCoreName())} | {Marshal.PtrToStringUTF8(GetConfig())} | threads={NumThreads()}";
}

/// <summary>Ensures this process was started with the OpenBLAS environment the comparison needs.</summary>
internal static class OpenBlasEnv
{
    public static readonly (string Name, string Value)[] Vars = [("OPENBLAS_CORETYPE", "SkylakeX"), ("OPENBLAS_NUM_THREADS", "2")];

    public static bool IsSet => Vars.All(v => Environment.GetEnvironmentVariable(v.Name) == v.Value);

    /// <summary>.NET cannot change the native environment of a running process, so re-run ourselves with it set.</summary>
    public static int Reexec(string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        var entry = System.Reflection.Assembly.GetEntryAssembly()!.Location;
        if (!Environment.ProcessPath!.EndsWith("Engine.Bench", StringComparison.Ordinal)) psi.ArgumentList.Add(entry);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (name, value) in Vars) psi.Environment[name] = value;
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode;
    }
}
