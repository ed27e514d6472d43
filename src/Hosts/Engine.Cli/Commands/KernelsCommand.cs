using System.CommandLine;
using Engine.Diagnostics.Kernels;
using Engine.Runtime.Cuda;
using Engine.Runtime.Cuda.Native;

namespace Engine.Cli.Commands;

/// <summary>
/// `engine kernels check`: compile every embedded kernel with NVRTC for the given archs (no GPU needed).
/// `engine kernels launchers`: check (or --write) the typed C# launchers generated from kernels/*.cu.
/// </summary>
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
        cmd.Subcommands.Add(Launchers());
        return cmd;
    }

    private static Command Launchers()
    {
        var kernels = new Option<string>("--kernels") { Description = "The kernels/ folder to read.", DefaultValueFactory = _ => "kernels" };
        var output = new Option<string>("--out") { Description = "The CUDA source folder the launchers go in (one <Family>Kernels.g.cs per kernel file, in its family folder).", DefaultValueFactory = _ => "src/Runtime/Cuda" };
        var write = new Option<bool>("--write") { Description = "Write the launchers that differ (and delete generated files of kernel files that are gone) instead of only reporting them." };
        var cmd = new Command("launchers", "Generate the typed launcher of every __global__ in kernels/*.cu (parameters and block size from its declaration); without --write, exit non-zero when any is out of date.")
            { kernels, output, write };
        cmd.SetAction(r =>
        {
            string dir = r.GetValue(kernels)!, outDir = r.GetValue(output)!;
            if (!Directory.Exists(dir) || !Directory.Exists(outDir)) { Console.Error.WriteLine($"run from the repository root, or pass --kernels and --out ({dir}, {outDir} not found)."); return 2; }
            var stale = LauncherFiles.Compare(dir, outDir);
            foreach (var s in stale) Console.WriteLine($"{(r.GetValue(write) ? "wrote  " : "stale  ")} {s.Path} ({s.Why})");
            if (r.GetValue(write)) LauncherFiles.Apply(stale);
            Console.WriteLine(stale.Count == 0 ? "launchers up to date" : $"{stale.Count} launcher file(s) {(r.GetValue(write) ? "written" : "out of date: run `engine kernels launchers --write`")}");
            return stale.Count == 0 || r.GetValue(write) ? 0 : 1;
        });
        return cmd;
    }
}
