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
internal static unsafe class CpuBlockPool
{
    public const long MinBytes = 1L << 20;

    public static long CapacityBytes { get; } = ReadCapacity();

    private static readonly List<(nuint Size, nint Ptr)> Free = []; // oldest first
    private static readonly Lock Gate = new();
    private static long _cached;

    private static long ReadCapacity()
    {
        var env = Environment.GetEnvironmentVariable("ENGINE_CPU_POOL_MB");
        return long.TryParse(env, out var mb) && mb >= 0 ? mb << 20 : 1024L << 20;
    }

    /// <summary>A cached block of exactly <paramref name="size"/> bytes (64-byte aligned), or null.</summary>
    public static void* Rent(nuint size)
    {
        if ((long)size < MinBytes || CapacityBytes == 0) return null;
        lock (Gate)
        {
            for (int i = Free.Count - 1; i >= 0; i--) // most recently freed first: likeliest still in cache
            {
                if (Free[i].Size != size) continue;
                var p = Free[i].Ptr;
                Free.RemoveAt(i);
                _cached -= (long)size;
                return (void*)p;
            }
        }
        return null;
    }

    /// <summary>Takes <paramref name="p"/> (from NativeMemory.AlignedAlloc) into the pool, or frees it when it does not fit.</summary>
    public static void Return(void* p, nuint size)
    {
        if ((long)size < MinBytes || (long)size > CapacityBytes) { NativeMemory.AlignedFree(p); return; }
        List<nint>? evicted = null;
        lock (Gate)
        {
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
}
