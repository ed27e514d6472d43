using System.Text.RegularExpressions;
using Engine.Runtime;

namespace Engine.Cli.Commands;

/// <summary>What `engine bench train/decode` print besides their rates: the machine, the per-op breakdown and peak memory.</summary>
internal static partial class BenchReport
{
    public static void Machine(int threads)
    {
        string cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"
            : "?";
        string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";
        Console.WriteLine($"cpu: {cpu}; {Environment.ProcessorCount} logical cores; threads={threads}; loadavg {load}");
    }

    /// <summary>The CpuOpClock totals as a share of <paramref name="totalSeconds"/>, with the unattributed rest.</summary>
    public static void Breakdown(double totalSeconds, int per, string unit)
    {
        var rows = CpuOpClock.Snapshot();
        double attributed = rows.Sum(r => r.Seconds);
        Console.WriteLine($"{"op",-24} {"ms/" + unit,10} {"share",7} {"calls",8}");
        foreach (var (op, s, calls) in rows)
            Console.WriteLine($"{op,-24} {s * 1e3 / per,10:F1} {s / totalSeconds,7:P1} {calls / per,8}");
        double rest = Math.Max(0, totalSeconds - attributed);
        Console.WriteLine($"{"(rest: autograd, copies)",-24} {rest * 1e3 / per,10:F1} {rest / totalSeconds,7:P1}");
    }

    /// <summary>Resets the kernel's peak-RSS counter (Linux), so <see cref="PeakRssBytes"/> covers what follows.</summary>
    public static void ResetPeak()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>VmHWM, the process's peak resident memory, or −1 where /proc is missing.</summary>
    public static long PeakRssBytes()
    {
        if (!File.Exists("/proc/self/status")) return -1;
        foreach (var l in File.ReadLines("/proc/self/status"))
            if (Hwm().Match(l) is { Success: true } m) return long.Parse(m.Groups[1].Value) * 1024;
        return -1;
    }

    [GeneratedRegex(@"^VmHWM:\s+(\d+)\s+kB")]
    private static partial Regex Hwm();
}
