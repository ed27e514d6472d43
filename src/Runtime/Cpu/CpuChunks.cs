namespace Engine.Runtime.Cpu;

/// <summary>
/// Splits a flat range of elements into fixed-size chunks for elementwise kernels. The chunk
/// boundaries do not depend on the thread count, so results are identical however many threads run.
/// </summary>
internal static class CpuChunks
{
    /// <summary>Elements per chunk: large enough to amortise scheduling, small enough to balance.</summary>
    public const int Size = 1 << 14;

    /// <summary>Below this many elements the work runs inline on the calling thread.</summary>
    public const long ParallelThreshold = 1 << 16;

    /// <summary>Calls <paramref name="body"/>(start, length) for consecutive chunks covering [0, n).</summary>
    public static void For(long n, Action<long, int> body)
    {
        if (n <= 0) return;
        long chunks = (n + Size - 1) / Size;
        if (n < ParallelThreshold || chunks == 1)
        {
            for (long c = 0; c < chunks; c++) body(c * Size, (int)Math.Min(Size, n - c * Size));
            return;
        }
        CpuThreads.For(checked((int)chunks), c => body((long)c * Size, (int)Math.Min(Size, n - (long)c * Size)));
    }
}
