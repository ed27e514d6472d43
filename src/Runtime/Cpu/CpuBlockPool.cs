using System.Runtime.InteropServices;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Keeps freed large host blocks (≥ 1 MiB) for reuse by the next allocation of exactly the same size. A training step
/// allocates the same large activations and gradients every step; the C allocator serves blocks this large with fresh
/// mmap'd pages and returns them on free, so every step paid a page fault per 4 KB of each of them (on the 56M model,
/// seconds of system time per step). Reused blocks are already resident. The pool holds at most
/// <see cref="CapacityBytes"/> (ENGINE_CPU_POOL_MB, default 1024; 0 turns it off), the least recently freed first out.
/// Contents of a reused block are stale, as malloc's may be: Empty means "to be written".
/// </summary>
public static unsafe class CpuBlockPool
{
    public const long MinBytes = 1L << 20;

    public static long CapacityBytes { get; } = ReadCapacity();

    private static readonly List<(nuint Size, nint Ptr)> Free = []; // oldest first
    private static readonly Lock Gate = new();
    private static long _cached;
    private static long _live; // blocks ≥ MinBytes handed out and not yet returned (hits and misses alike)
    private static long _hits, _misses, _missBytes, _peakLive, _peakCached;

    private static long ReadCapacity()
    {
        var env = Environment.GetEnvironmentVariable("ENGINE_CPU_POOL_MB");
        return long.TryParse(env, out var mb) && mb >= 0 ? mb << 20 : 1024L << 20;
    }

    /// <summary>A cached block of exactly <paramref name="size"/> bytes (64-byte aligned), or null: the caller allocates one.</summary>
    internal static void* Rent(nuint size)
    {
        if ((long)size < MinBytes) return null;
        lock (Gate)
        {
            _live += (long)size;
            for (int i = CapacityBytes == 0 ? -1 : Free.Count - 1; i >= 0; i--) // most recently freed first: likeliest still in cache
            {
                if (Free[i].Size != size) continue;
                var p = Free[i].Ptr;
                Free.RemoveAt(i);
                _cached -= (long)size;
                _hits++;
                return (void*)p;
            }
            _misses++;
            _missBytes += (long)size;
            if (_live + _cached > _peakLive + _peakCached) (_peakLive, _peakCached) = (_live, _cached);
        }
        return null;
    }

    /// <summary>Takes <paramref name="p"/> (from NativeMemory.AlignedAlloc) into the pool, or frees it when it does not fit.</summary>
    internal static void Return(void* p, nuint size)
    {
        if ((long)size < MinBytes) { NativeMemory.AlignedFree(p); return; }
        List<nint>? evicted = null;
        lock (Gate)
        {
            _live -= (long)size;
            if ((long)size > CapacityBytes) { NativeMemory.AlignedFree(p); return; }
            Free.Add((size, (nint)p));
            _cached += (long)size;
            while (_cached > CapacityBytes)
            {
                (evicted ??= []).Add(Free[0].Ptr);
                _cached -= (long)Free[0].Size;
                Free.RemoveAt(0);
            }
        }
        if (evicted is not null) foreach (var e in evicted) NativeMemory.AlignedFree((void*)e);
    }

    /// <summary>Frees every cached block (tests; a host that wants its memory back).</summary>
    public static void Trim()
    {
        List<(nuint, nint)> all;
        lock (Gate) { all = [.. Free]; Free.Clear(); _cached = 0; }
        foreach (var (_, p) in all) NativeMemory.AlignedFree((void*)p);
    }

    public static long CachedBytes { get { lock (Gate) return _cached; } }

    /// <summary>What the pool did since <see cref="ResetStats"/>, and what its blocks were at their largest.</summary>
    /// <param name="Hits">Allocations served from the pool.</param>
    /// <param name="Misses">Allocations of pooled sizes (≥ 1 MiB) it could not serve: fresh memory.</param>
    /// <param name="MissBytes">Their bytes.</param>
    /// <param name="PeakLiveBytes">Blocks ≥ 1 MiB handed out and not yet freed (garbage not yet finalized counts), at the
    /// moment live + cached was largest; a miss is the only event that can raise that sum.</param>
    /// <param name="PeakCachedBytes">Blocks held by the pool at that moment.</param>
    public readonly record struct PoolStats(long Hits, long Misses, long MissBytes, long PeakLiveBytes, long PeakCachedBytes);

    public static PoolStats Stats()
    {
        lock (Gate) return new(_hits, _misses, _missBytes, _peakLive, _peakCached);
    }

    /// <summary>Zeroes the counters; the peak starts again from what is live and cached now.</summary>
    public static void ResetStats()
    {
        lock (Gate) { _hits = 0; _misses = 0; _missBytes = 0; (_peakLive, _peakCached) = (_live, _cached); }
    }
}
