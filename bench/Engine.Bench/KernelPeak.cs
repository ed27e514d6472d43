using System.Diagnostics;
using System.Runtime.InteropServices;
using Engine.Runtime.Cpu;

namespace Engine.Bench;

/// <summary>`kernel-peak`: the microkernel alone on L1-resident panels, one thread: the ceiling the driver can reach.</summary>
internal static unsafe class KernelPeak
{
    public static int Run()
    {
        const int kc = 384, reps = 20000;
        int mr = GemmKernelAvx512<float>.MR, nr = GemmKernelAvx512<float>.NR;
        var a = (float*)NativeMemory.AlignedAlloc((nuint)(mr * kc * 4), 64);
        var b = (float*)NativeMemory.AlignedAlloc((nuint)(nr * kc * 4), 64);
        var c = (float*)NativeMemory.AlignedAlloc((nuint)(mr * nr * 4), 64);
        for (int i = 0; i < mr * kc; i++) a[i] = 1e-3f * (i % 7);
        for (int i = 0; i < nr * kc; i++) b[i] = 1e-3f * (i % 5);
        for (int t = 0; t < 3; t++)
        {
            var sw = Stopwatch.StartNew();
            for (int r = 0; r < reps; r++) GemmKernelAvx512<float>.Run(kc, a, b, c, nr, 1f, 1f);
            double gf = 2.0 * mr * nr * kc * reps / sw.Elapsed.TotalSeconds / 1e9;
            Console.WriteLine($"avx512 {mr}x{nr} kc={kc}: {gf:F1} GFLOP/s (1 thread)");
        }
        return 0;
    }
}
