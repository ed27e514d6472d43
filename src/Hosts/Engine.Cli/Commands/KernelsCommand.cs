using System.CommandLine;
using Engine.Runtime.Cuda;
using Engine.Runtime.Cuda.Native;

namespace Engine.Cli.Commands;

/// <summary>`engine kernels check`: compile every embedded kernel with NVRTC for the given archs (no GPU needed).</summary>
public static class KernelsCommand
{
    public static Command Create()
    {
        var arch = new Option<string>("--arch") { Description = "Comma-separated virtual architectures.", DefaultValueFactory = _ => "compute_80,compute_90" };
        var warningsAsErrors = new Option<bool>("--warnings-as-errors") { Description = "Fail when NVRTC prints any warning.", DefaultValueFactory = _ => true };
        var check = new Command("check", "Compile kernels/*.cu with NVRTC for each --arch and report; non-zero exit on any error (or warning).") { arch, warningsAsErrors };
        check.SetAction(r =>
        {
            if (CudaLibraries.EmulatorPath is { } emu)
            {
                Console.Error.WriteLine($"kernels check needs the real NVRTC, but {CudaLibraries.EmulatorVariable}={emu} routes NVRTC to the CPU emulator (which compiles nothing); unset it.");
                return 2;
            }
            if (!NvrtcCompiler.IsAvailable(out var detail)) { Console.Error.WriteLine($"NVRTC not available: {detail}"); return 2; }
            Console.WriteLine(detail);
            int failures = 0, count = 0;
            var headers = KernelSources.Headers();
            foreach (var a in r.GetValue(arch)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                foreach (var file in KernelSources.KernelFiles())
                {
                    count++;
                    try
                    {
                        var res = NvrtcCompiler.Compile(KernelSources.Source(file), file, headers, NvrtcCompiler.DefaultOptions(a));
                        bool warned = res.Log.Contains("warning", StringComparison.OrdinalIgnoreCase);
                        if (warned && r.GetValue(warningsAsErrors)) { failures++; Console.WriteLine($"FAIL {a,-11} {file}: warnings\n{res.Log}"); }
                        else Console.WriteLine($"ok   {a,-11} {file} ({res.Ptx.Length:N0} bytes PTX)");
                    }
                    catch (CudaException e) { failures++; Console.WriteLine($"FAIL {a,-11} {file}\n{e.Message}"); }
                }
            Console.WriteLine($"{count - failures} of {count} kernel compilations ok");
            return failures == 0 ? 0 : 1;
        });
        var cmd = new Command("kernels", "CUDA kernel tools.");
        cmd.Subcommands.Add(check);
        return cmd;
    }
}
