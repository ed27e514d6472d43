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

    public static int Count
    {
        get => _count;
        set => _count = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), "threads must be positive");
    }

    /// <summary>Parallel loop over [0, n) in chunks; runs inline when one thread suffices.</summary>
    public static void For(int n, Action<int> body, int minPerThread = 1)
    {
        int threads = Math.Min(Count, Math.Max(1, n / Math.Max(1, minPerThread)));
        if (threads <= 1 || n <= 1) { for (int i = 0; i < n; i++) body(i); return; }
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }
}
