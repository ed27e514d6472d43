namespace Engine.Runtime.Cpu;

/// <summary>What to do with element i and its Philox word (a struct, so the per-element call is inlined).</summary>
internal interface IPhiloxElement
{
    void At(long i, uint word);
}

/// <summary>
/// Element i of [0, n) gets word i of the Philox stream (seed, offset), numbered as <see cref="Philox.Word"/>:
/// word i % 4 of block offset + i / 4. Each block is drawn once, and chunks (whole blocks) run on the CPU threads.
/// The one loop behind every per-element random op (dropout, hard-concrete noise).
/// </summary>
internal static class CpuPhiloxWords
{
    public static void For<TElement>(long n, ulong seed, ulong offset, TElement element) where TElement : struct, IPhiloxElement
    {
        uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
        // Chunks hold whole Philox blocks (CpuChunks.Size is a multiple of 4), so each block is drawn once.
        CpuChunks.For(n, (start, len) =>
        {
            long end = start + len;
            for (long i = start; i < end; i += 4)
            {
                ulong ctr = offset + (ulong)(i / 4);
                var (w0, w1, w2, w3) = Philox.Block((uint)ctr, (uint)(ctr >> 32), 0, 0, k0, k1);
                element.At(i, w0);
                if (i + 1 < end) element.At(i + 1, w1);
                if (i + 2 < end) element.At(i + 2, w2);
                if (i + 3 < end) element.At(i + 3, w3);
            }
        });
    }

    /// <summary>The same with a delegate, for ops where a per-element call costs nothing next to their math.</summary>
    public static void For(long n, ulong seed, ulong offset, Action<long, uint> body) => For(n, seed, offset, new ActionElement(body));

    private readonly struct ActionElement(Action<long, uint> body) : IPhiloxElement
    {
        public void At(long i, uint word) => body(i, word);
    }
}
