namespace Engine.Bench;

/// <summary>
/// Fair timing of libraries that keep helper threads spinning after a call (OpenBLAS's pthread workers spin ~2^28 cycles,
/// ours 50 µs): each route runs in blocks of back-to-back calls, as in a program that calls only it, with an idle gap
/// after every block long enough for every library's spinners to go to sleep, so no route is timed while another's
/// threads hold the cores. The order of the routes rotates from round to round, so none always runs first (or right
/// after the machine idled). Every route is warmed (JIT tiers settled, pages touched) before any is timed.
/// </summary>
internal static class BlockTiming
{
    /// <summary>OpenBLAS's default THREAD_TIMEOUT is 2^28 cycles (~70–110 ms at 2.5–4 GHz); 250 ms covers it with margin.</summary>
    public const int GapMs = 250;

    /// <summary>Per route: the wall seconds of every timed call (sorted) and the process CPU seconds they took in all.</summary>
    public static (double[] Wall, double Cpu)[] Run(IReadOnlyList<Action> routes, int callsPerRoute, int blocks = 3, int gapMs = GapMs)
    {
        foreach (var f in routes) for (int i = 0; i < 3; i++) f();
        Thread.Sleep(gapMs);
        int per = Math.Max(1, (callsPerRoute + blocks - 1) / blocks);
        var wall = routes.Select(_ => new List<double>()).ToArray();
        var cpu = new double[routes.Count];
        for (int b = 0; b < blocks; b++)
            for (int q = 0; q < routes.Count; q++)
            {
                int r = (q + b) % routes.Count;
                for (int i = 0; i < per; i++) wall[r].Add(CpuClock.Time(routes[r], ref cpu[r]));
                Thread.Sleep(gapMs);
            }
        return wall.Select((w, r) => (w.Order().ToArray(), cpu[r])).ToArray();
    }
}
