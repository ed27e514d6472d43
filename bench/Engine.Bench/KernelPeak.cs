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
        // The VDPBF16PS kernel on the same depth (kc/2 k-pairs of bf16 values), interleaved with the f32 kernel.
        var ap = (uint*)NativeMemory.AlignedAlloc((nuint)(mr * kc / 2 * 4), 64);
        var bp = (uint*)NativeMemory.AlignedAlloc((nuint)(nr * kc / 2 * 4), 64);
        for (int i = 0; i < mr * kc / 2; i++) ap[i] = 0x3C003C00u + (uint)(i % 7);
        for (int i = 0; i < nr * kc / 2; i++) bp[i] = 0x3C003C00u + (uint)(i % 5);
        bool bf16 = Bf16Kernel.NativeSupported;
        for (int t = 0; t < 3; t++)
        {
            double cf = 0, cb = 0;
            double wf = CpuClock.Time(() => { for (int r = 0; r < reps; r++) GemmKernelAvx512<float>.Run(kc, a, b, c, nr, 1f, 1f); }, ref cf);
            double gf = 2.0 * mr * nr * kc * reps / 1e9;
            Console.Write($"avx512 {mr}x{nr} kc={kc}: {gf / wf:F1} GFLOP/s wall, {gf / cf:F1} cpu (1 thread)");
            if (bf16)
            {
                double wb = CpuClock.Time(() => { for (int r = 0; r < reps; r++) Bf16Kernel.Run(true, kc / 2, ap, bp, c, nr, 1f, 1f); }, ref cb);
                Console.Write($" | vdpbf16ps 12x32 kc={kc}: {gf / wb:F1} wall, {gf / cb:F1} cpu, ratio {cf / cb:F2}");
            }
            Console.WriteLine();
        }
        return 0;
    }
}
