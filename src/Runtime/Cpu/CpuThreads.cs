namespace Engine.Runtime;

/// <summary>How many threads CPU kernels use: ENGINE_THREADS, else the processor count.</summary>
public static class CpuThreads
{
    private static int _count = Init();

    private static int Init()
    {
        var env = Environment.GetEnvironmentVariable("ENGINE_THREADS");
        return int.TryParse(env, out var n) && n > 0 ? n : Environment.ProcessorCount;
    }

    /// <summary>A count pinned for the current thread by <see cref="Pin"/>; 0 when none.</summary>
    [ThreadStatic] private static int _pinned;

    /// <summary>
    /// The thread count ops started on this thread use. Kernels read it once, on the thread that calls the op, and split
    /// work by shape alone, so the count changes speed, never results.
    /// </summary>
    public static int Count
    {
        get => _pinned > 0 ? _pinned : _count;
        set => _count = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), "threads must be positive");
    }

    /// <summary>
    /// Pins the thread count for ops started on the current thread until the scope is disposed, without touching the
    /// process-wide setting other threads read (tests compare thread counts side by side this way).
    /// </summary>
    public static IDisposable Pin(int threads)
    {
        if (threads <= 0) throw new ArgumentOutOfRangeException(nameof(threads), "threads must be positive");
        var scope = new PinScope(_pinned);
        _pinned = threads;
        return scope;
    }

    private sealed class PinScope(int previous) : IDisposable
    {
        public void Dispose() => _pinned = previous;
    }

    /// <summary>Parallel loop over [0, n) in chunks; runs inline when one thread suffices.</summary>
    public static void For(int n, Action<int> body, int minPerThread = 1)
    {
        int threads = Math.Min(Count, Math.Max(1, n / Math.Max(1, minPerThread)));
        if (threads <= 1 || n <= 1) { for (int i = 0; i < n; i++) body(i); return; }
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }
}
