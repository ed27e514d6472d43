using System.CommandLine;
using Engine.Diagnostics.OpCases;
using Engine.Runtime;
using Engine.Runtime.Cuda;
using Engine.Runtime.Cuda.Native;

namespace Engine.Cli.Commands;

/// <summary>`engine bench ops`: every case of the op table (or those matching --filter) timed on one device.</summary>
public static class BenchOpsCommand
{
    public static Command Create()
    {
        var filter = new Option<string?>("--filter") { Description = "Only cases whose family, name or shape contains this text (comma-separated alternatives); all cases when omitted." };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N].", DefaultValueFactory = _ => "cpu" };
        var reps = new Option<int>("--reps") { Description = "Timed runs per case after one warm-up; the median is reported.", DefaultValueFactory = _ => 20 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the cases' inputs.", DefaultValueFactory = _ => 1 };
        var cmd = new Command("ops", "Time each op case (everything its run does, often forward and backward): median µs, GB/s of its inputs and outputs, TFLOP/s where the case counts its FLOPs.")
            { filter, device, reps, seed };
        cmd.SetAction(r =>
        {
            Device dev;
            try { dev = Device.Parse(r.GetValue(device)!); }
            catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }
            if (r.GetValue(reps) < 1) { Console.Error.WriteLine("--reps must be at least 1."); return 2; }
            if (dev.Kind == DeviceKind.Cuda)
            {
                var probe = CudaProbe.Probe();
                if (!probe.Found) { Console.Error.WriteLine(probe.Detail); return 2; }
                var gpu = CudaDevice.Get(dev.Index);
                Console.WriteLine($"{gpu.Name} ({gpu.Arch}, {gpu.Multiprocessors} SMs)");
                if (CudaLibraries.EmulatorPath is { } emu) Console.WriteLine($"note: {CudaLibraries.EmulatorVariable}={emu}: CPU emulator, timings are meaningless");
            }
            var cases = OpTable.Matching(r.GetValue(filter));
            if (cases.Count == 0) { Console.Error.WriteLine($"no case matches '{r.GetValue(filter)}'."); return 2; }
            Console.WriteLine($"{"family",-12} {"case",-34} {"shape",-40} {"median µs",11} {"GB/s",9} {"TFLOP/s",8}");
            foreach (var b in BenchRunner.Run(cases, dev, r.GetValue(reps), r.GetValue(seed)))
                Console.WriteLine($"{b.Family,-12} {b.Case,-34} {b.Shape,-40} {b.MedianUs,11:F1} {b.GBps,9:F2} {(b.Tflops > 0 ? b.Tflops.ToString("F3") : "-"),8}");
            return 0;
        });
        return cmd;
    }
}
