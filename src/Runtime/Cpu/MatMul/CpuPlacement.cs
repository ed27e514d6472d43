using System.Runtime.InteropServices;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Which CPU a thread runs on, and a one-off move to another (Linux; elsewhere nothing happens). Used by GemmWorkers:
/// on the 2-vCPU Zen 5 VM the guest kernel sees no shared cache between its CPUs, so a woken thread is placed on its
/// previous CPU or the waker's without looking for an idle one; once a worker had landed on the caller's CPU it was
/// woken there call after call, and the two halves of a fork ran one after the other (bench/results/cpu-gemm.md, stop 31).
/// </summary>
internal static unsafe partial class CpuPlacement
{
    /// <summary>glibc's cpu_set_t: 1024 CPUs.</summary>
    private const int MaskWords = 16;

    /// <summary>Linux with a libc that has the calls (probed once: a missing entry point must not reach the worker loop).</summary>
    public static readonly bool Supported = Probe();

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            ulong* mask = stackalloc ulong[MaskWords];
            return SchedGetCpu() >= 0 && SchedGetAffinity(0, MaskWords * sizeof(ulong), mask) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    [LibraryImport("libc", EntryPoint = "sched_getcpu")]
    private static partial int SchedGetCpu();

    [LibraryImport("libc", EntryPoint = "sched_getaffinity")]
    private static partial int SchedGetAffinity(int pid, nuint size, ulong* mask);

    [LibraryImport("libc", EntryPoint = "sched_setaffinity")]
    private static partial int SchedSetAffinity(int pid, nuint size, ulong* mask);

    /// <summary>The CPU the calling thread is on now, or −1 where unknown.</summary>
    public static int CurrentCpu() => Supported ? SchedGetCpu() : -1;

    /// <summary>How many CPUs the calling thread may run on (its affinity mask), or −1 where unknown.</summary>
    public static int AllowedCpuCount()
    {
        if (!Supported) return -1;
        ulong* allowed = stackalloc ulong[MaskWords];
        new Span<ulong>(allowed, MaskWords).Clear();
        if (SchedGetAffinity(0, MaskWords * sizeof(ulong), allowed) != 0) return -1;
        int count = 0;
        for (int i = 0; i < MaskWords; i++) count += System.Numerics.BitOperations.PopCount(allowed[i]);
        return count;
    }

    /// <summary>
    /// Moves the calling thread off <paramref name="cpu"/> to another CPU it is allowed on, then allows it everywhere
    /// it was allowed before: a nudge, not a pin (the next wake-up starts from the new CPU). False if there is no other CPU.
    /// </summary>
    public static bool MoveOff(int cpu)
    {
        if (!Supported || cpu < 0 || cpu >= MaskWords * 64) return false;
        ulong* allowed = stackalloc ulong[MaskWords], others = stackalloc ulong[MaskWords];
        new Span<ulong>(allowed, MaskWords).Clear();
        if (SchedGetAffinity(0, MaskWords * sizeof(ulong), allowed) != 0) return false;
        bool any = false;
        for (int i = 0; i < MaskWords; i++)
        {
            others[i] = i == cpu >> 6 ? allowed[i] & ~(1UL << (cpu & 63)) : allowed[i];
            any |= others[i] != 0;
        }
        if (!any || SchedSetAffinity(0, MaskWords * sizeof(ulong), others) != 0) return false;
        SchedSetAffinity(0, MaskWords * sizeof(ulong), allowed); // the move has happened; lift the restriction again
        return true;
    }
}
