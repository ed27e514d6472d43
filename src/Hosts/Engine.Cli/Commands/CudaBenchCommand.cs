using System.CommandLine;
using Engine.Runtime.Cuda;
using Engine.Runtime.Cuda.Native;

namespace Engine.Cli.Commands;

/// <summary>`engine bench cuda`: graph replay vs direct launches and cuBLASLt vs cublasGemmEx on a GPU (CUDA events).</summary>
public static class CudaBenchCommand
{
    public static Command Create()
    {
        var device = new Option<int>("--device") { Description = "CUDA device ordinal.", DefaultValueFactory = _ => 0 };
        var repeats = new Option<int>("--repeats") { Description = "Timed repetitions per line (after one warm-up).", DefaultValueFactory = _ => 20 };
        var cmd = new Command("cuda", "Time CUDA graph replay against direct launches, and cuBLASLt against cublasGemmEx for bf16 GEMMs.") { device, repeats };
        cmd.SetAction(r =>
        {
            var probe = CudaProbe.Probe();
            if (!probe.Found) { Console.Error.WriteLine(probe.Detail); return 2; }
            var dev = CudaDevice.Get(r.GetValue(device));
            Console.WriteLine($"{dev.Name} ({dev.Arch}, {dev.Multiprocessors} SMs)");
            if (CudaLibraries.EmulatorPath is { } emu) Console.WriteLine($"note: {CudaLibraries.EmulatorVariable}={emu}: CPU emulator, timings are meaningless");
            foreach (var line in CudaPlumbingBench.Run(dev, r.GetValue(repeats))) Console.WriteLine(line);
            Console.WriteLine($"memory: {dev.Memory}");
            return 0;
        });
        return cmd;
    }
}
