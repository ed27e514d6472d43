using System.Collections.Concurrent;
using System.Diagnostics;

namespace Engine.Runtime;

/// <summary>
/// Wall time per CPU op family, for `engine bench train/decode`'s breakdown. Off unless <see cref="Enabled"/>: an op then
/// pays one branch. Times are inclusive of the op's own threads and exclusive of the autograd and tensor bookkeeping
/// around it, which shows up as the step's unattributed rest.
/// </summary>
public static class CpuOpClock
{
    private sealed class Entry { public long Ticks, Calls; }

    private static readonly ConcurrentDictionary<string, Entry> Entries = new(StringComparer.Ordinal);

    public static bool Enabled { get; set; }

    public static Scope Time(string op) => Enabled ? new Scope(op, Stopwatch.GetTimestamp()) : default;

    public static void Reset() => Entries.Clear();

    /// <summary>(op, seconds, calls) since the last reset, longest first.</summary>
    public static IReadOnlyList<(string Op, double Seconds, long Calls)> Snapshot() =>
        Entries.Select(kv => (kv.Key, kv.Value.Ticks / (double)Stopwatch.Frequency, kv.Value.Calls)).OrderByDescending(e => e.Item2).ToList();

    public readonly struct Scope(string? op, long start) : IDisposable
    {
        public void Dispose()
        {
            if (op is null) return;
            var e = Entries.GetOrAdd(op, _ => new Entry());
            Interlocked.Add(ref e.Ticks, Stopwatch.GetTimestamp() - start);
            Interlocked.Increment(ref e.Calls);
        }
    }
}
