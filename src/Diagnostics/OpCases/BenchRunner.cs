using System.Diagnostics;
using Engine.Runtime;
using Engine.Runtime.Cuda;

namespace Engine.Diagnostics.OpCases;

/// <summary>One timed case: median time of <see cref="OpCase.Run"/> and what it moved or computed per second.</summary>
public sealed record BenchRow(string Family, string Case, string Shape, string Backend, double MedianUs, double GBps, double Tflops);

/// <summary>
/// The cases as benchmarks (<c>engine bench ops</c>): each case's inputs on the device, one warm-up run, then
/// <c>reps</c> timed runs of <see cref="OpCase.Run"/> (all it does: often forward and backward), each ended by a device
/// synchronize. GB/s counts the bytes of the inputs and outputs once; TFLOP/s uses the case's <see cref="OpCase.Flops"/>.
/// </summary>
public static class BenchRunner
{
    public static IEnumerable<BenchRow> Run(IEnumerable<OpCase> cases, Device device, int reps, ulong seed)
    {
        var backend = Backend.For(device);
        foreach (var c in cases)
        {
            if (c.DeviceOnly && device.IsCpu) continue;
            if (!backend.Supports(c.Op, c.DType)) continue;
            var inputs = CaseData.On(c.Inputs(CaseData.SeedFor(c, seed)), device);
            var outputs = c.Run(inputs);
            Sync(device);
            long bytes = inputs.Sum(Bytes) + outputs.Sum(o => Bytes(o.Value));
            var times = new double[Math.Max(1, reps)];
            for (int i = 0; i < times.Length; i++)
            {
                var sw = Stopwatch.StartNew();
                c.Run(inputs);
                Sync(device);
                times[i] = sw.Elapsed.TotalSeconds;
            }
            Array.Sort(times);
            double t = times[times.Length / 2];
            yield return new BenchRow(c.Family, c.Name, c.Shape, device.ToString(), t * 1e6, bytes / t / 1e9, c.Flops / t / 1e12);
        }
    }

    private static long Bytes(Tensor t) => t.NumElements * t.DType.SizeOf();

    private static void Sync(Device device)
    {
        if (device.Kind == DeviceKind.Cuda) CudaDevice.Get(device.Index).Synchronize();
    }
}
