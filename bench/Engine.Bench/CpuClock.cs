using System.Runtime.InteropServices;

namespace Engine.Bench;

/// <summary>
/// CPU time of this process (all threads), from clock_gettime. On a shared machine wall time includes the slices other
/// processes took; CPU time does not, so flops ÷ (CPU seconds ÷ threads) is a load-robust efficiency figure
/// (it still counts time our threads spin waiting for each other).
/// </summary>
internal static partial class CpuClock
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec { public long Sec; public long Nsec; }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec ts);

    private const int ProcessCpuTime = 2;

    public static double ProcessSeconds()
    {
        ClockGetTime(ProcessCpuTime, out var ts);
        return ts.Sec + ts.Nsec * 1e-9;
    }

    /// <summary>Runs <paramref name="f"/> once: returns its wall seconds and adds the process CPU seconds it took to <paramref name="cpu"/>.</summary>
    public static double Time(Action f, ref double cpu)
    {
        double c0 = ProcessSeconds();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        f();
        double wall = sw.Elapsed.TotalSeconds;
        cpu += ProcessSeconds() - c0;
        return wall;
    }
}
