using System.CommandLine;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Engine.Runtime;
using Engine.Runtime.Cuda;

namespace Engine.Cli.Commands;

/// <summary>`engine doctor`: what this machine gives the engine (runtime, SIMD, threads, CUDA).</summary>
public static class DoctorCommand
{
    public static Command Create()
    {
        var device = new Option<string>("--device") { Description = "Also check this device: cpu (default) or cuda[:N].", DefaultValueFactory = _ => "cpu" };
        var cmd = new Command("doctor", "Print the runtime, SIMD level, threads and whether CUDA was found (and why not).") { device };
        cmd.SetAction(r => Run(r.GetValue(device)!));
        return cmd;
    }

    public static string SimdLevel() =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? "AVX-512" :
        Avx2.IsSupported && Fma.IsSupported ? "AVX2+FMA" :
        Vector128.IsHardwareAccelerated ? $"Vector<T> ({Vector<float>.Count * 32}-bit)" : "scalar";

    private static int Run(string deviceText)
    {
        Device dev;
        try { dev = Device.Parse(deviceText); }
        catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }
        Console.WriteLine($"engine      {typeof(Tensor).Assembly.GetName().Version}");
        Console.WriteLine($"runtime     {RuntimeInformation.FrameworkDescription} on {RuntimeInformation.OSDescription} ({RuntimeInformation.ProcessArchitecture})");
        Console.WriteLine($"simd        {SimdLevel()} (Vector512 {(Vector512.IsHardwareAccelerated ? "yes" : "no")}, AVX2 {(Avx2.IsSupported ? "yes" : "no")}, FMA {(Fma.IsSupported ? "yes" : "no")}, AVX512-BF16 {(Avx512Bf16Supported() ? "yes" : "no")})");
        Console.WriteLine($"threads     {CpuThreads.Count} (of {Environment.ProcessorCount} logical processors; set ENGINE_THREADS to change)");
        if (Engine.Runtime.Cuda.Native.CudaLibraries.EmulatorPath is { } emu)
            Console.WriteLine($"emulator    {Engine.Runtime.Cuda.Native.CudaLibraries.EmulatorVariable}={emu}: CUDA, NVRTC and cuBLAS are the CPU emulator. Kernels run on the CPU: results check kernel logic, not a GPU (no timing, no real PTX).");
        var cuda = CudaProbe.Probe();
        Console.WriteLine($"cuda        {(cuda.Found ? "found" : "not available")}: {cuda.Detail}");
        Console.WriteLine($"nvrtc       {(NvrtcCompiler.IsAvailable(out var nv) ? nv : "not available: " + nv)}");
        Engine.Runtime.Cuda.Native.CudaLibraries.EnsureResolver();
        Console.WriteLine($"cublas      {(Engine.Runtime.Cuda.Native.CudaLibraries.TryLoad("cublas", out _, out var cbErr) ? "found: " + Engine.Runtime.Cuda.Native.CudaLibraries.Path_("cublas") : "not available: " + cbErr)}");
        if (dev.Kind != DeviceKind.Cuda) return 0;
        if (!cuda.Found)
        {
            Console.Error.WriteLine($"--device {dev}: CUDA is not available here ({cuda.Detail}).");
            return 1;
        }
        var gpu = CudaDevice.Get(dev.Index);
        Console.WriteLine($"device      {gpu.Name}, sm_{gpu.ComputeMajor}{gpu.ComputeMinor}, {gpu.Multiprocessors} SMs, {gpu.TotalMemory / (1L << 30)} GiB");
        var rows = CudaParitySuite.Run(gpu, (ulong)Environment.TickCount64);
        Console.WriteLine($"{"op",-22} {"shape",-12} {"max rel err",12} {"tol",8}  pass");
        foreach (var row in rows) Console.WriteLine($"{row.Op,-22} {row.Shape,-12} {row.MaxRelError,12:E2} {row.Tolerance,8:E0}  {(row.Pass ? "yes" : "NO")}");
        int failed = rows.Count(r => !r.Pass);
        Console.WriteLine($"{rows.Count - failed} of {rows.Count} parity checks passed; memory peak {gpu.Memory.Peak:N0} bytes");
        return failed == 0 ? 0 : 1;
    }

    private static bool Avx512Bf16Supported()
    {
        try { return File.ReadAllText("/proc/cpuinfo").Contains("avx512_bf16"); } catch { return false; }
    }
}
