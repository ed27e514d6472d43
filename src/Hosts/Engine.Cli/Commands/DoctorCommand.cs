using System.CommandLine;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Engine.Diagnostics.OpCases;
using Engine.Runtime;
using Engine.Runtime.Cuda;

namespace Engine.Cli.Commands;

/// <summary>
/// `engine doctor`: what this machine gives the engine (runtime, SIMD, threads, CUDA), and with --device the op table
/// (src/Diagnostics) on that device: the CPU against plain references and f64 gradient checks, or a GPU against the CPU.
/// </summary>
public static class DoctorCommand
{
    public static Command Create()
    {
        var device = new Option<string?>("--device")
        {
            Description = "Also run the op table on this device: cpu (every case against its plain reference, and the f64 gradient checks) " +
                          "or cuda[:N] (every case against the CPU, then which kernels ran). Exits non-zero on any failed check.",
        };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of the table's inputs (default: a new one each run)." };
        var filter = new Option<string?>("--filter") { Description = "Only cases whose family, name or shape contains this text (comma-separated alternatives)." };
        var cmd = new Command("doctor", "Print the runtime, SIMD level, threads and whether CUDA was found (and why not); with --device, check the ops there.") { device, seed, filter };
        cmd.SetAction(r => Run(r.GetValue(device), r.GetValue(seed) ?? (ulong)Environment.TickCount64, r.GetValue(filter)));
        return cmd;
    }

    public static string SimdLevel() =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? "AVX-512" :
        Avx2.IsSupported && Fma.IsSupported ? "AVX2+FMA" :
        Vector128.IsHardwareAccelerated ? $"Vector<T> ({Vector<float>.Count * 32}-bit)" : "scalar";

    private static int Run(string? deviceText, ulong seed, string? filter)
    {
        Device? dev = null;
        try { if (deviceText is not null) dev = Device.Parse(deviceText); }
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
        if (dev is not { } d) return 0;
        var cases = OpTable.Matching(filter);
        Console.WriteLine($"table       {cases.Count} cases (seed {seed}{(filter is null ? "" : $", filter '{filter}'")})");
        return d.IsCpu ? RunCpu(cases, seed) : RunCuda(d, cases, seed, cuda);
    }

    /// <summary>The CPU against each case's plain reference, then the f64 gradient checks.</summary>
    private static int RunCpu(IReadOnlyList<OpCase> cases, ulong seed)
    {
        foreach (var line in TableReport.Capabilities(Backend.Cpu)) Console.WriteLine($"capability  {line}");
        Console.WriteLine(TableReport.Header);
        var reference = ReferenceRunner.Run(cases, seed, r => Console.WriteLine(TableReport.Line(r)));
        var gradient = GradientRunner.Run(cases, seed, r => Console.WriteLine(TableReport.Line(r)));
        Console.WriteLine(TableReport.Summary(reference, "reference"));
        Console.WriteLine(TableReport.Summary(gradient, "gradient"));
        return reference.Concat(gradient).Any(r => r.Outcome == Outcome.Fail) ? 1 : 0;
    }

    /// <summary>Every case on the GPU against the CPU, then which code ran (GEMM path, kernel origins) and which kernels did not.</summary>
    private static int RunCuda(Device dev, IReadOnlyList<OpCase> cases, ulong seed, CudaProbe.Result cuda)
    {
        if (!cuda.Found)
        {
            Console.Error.WriteLine($"--device {dev}: CUDA is not available here ({cuda.Detail}).");
            return 1;
        }
        var gpu = CudaDevice.Get(dev.Index);
        Console.WriteLine($"device      {gpu.Name}, sm_{gpu.ComputeMajor}{gpu.ComputeMinor}, {gpu.Multiprocessors} SMs, {gpu.TotalMemory / (1L << 30)} GiB");
        var backend = CudaBackend.Get(dev.Index);
        foreach (var line in TableReport.Capabilities(Backend.Cpu, backend)) Console.WriteLine($"capability  {line}");
        gpu.PoisonAllocations = true; // an element a kernel skips reads as NaN, not as stale memory
        Console.WriteLine(TableReport.Header);
        var rows = ParityRunner.Run(cases, dev, seed, r => Console.WriteLine(TableReport.Line(r)));
        gpu.PoisonAllocations = false;
        Console.WriteLine($"{TableReport.Summary(rows, "parity")}; memory peak {gpu.Memory.Peak:N0} bytes");
        // Which code actually ran: cuBLASLt or cublasGemmEx for bf16, a prebuilt fatbin or NVRTC per kernel file, every kernel or not.
        Console.WriteLine($"gemm        bf16 MatMul via {backend.GemmPath}");
        foreach (var (file, origin) in gpu.KernelOrigins.OrderBy(k => k.Key, StringComparer.Ordinal)) Console.WriteLine($"kernels     {file}: {origin}");
        foreach (var line in TableReport.Coverage(gpu)) Console.WriteLine(line);
        return rows.Any(r => r.Outcome == Outcome.Fail) ? 1 : 0;
    }

    private static bool Avx512Bf16Supported()
    {
        try { return File.ReadAllText("/proc/cpuinfo").Contains("avx512_bf16"); } catch { return false; }
    }
}
