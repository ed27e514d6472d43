namespace Engine.Methods.Synthesis.LongMT;

/// <summary>Seeds for every call derived from (run seed, document, page, purpose, ...) by SplitMix64, so a resumed or sharded run asks the same questions.</summary>
public static class Seeds
{
    public static ulong Derive(ulong seed, params ulong[] parts)
    {
        ulong z = seed;
        foreach (var p in parts) z = Mix(z ^ Mix(p + 0x9E3779B97F4A7C15UL));
        return z;
    }

    /// <summary>A seed as the chat options take it (non-negative, below 2^53 so every JSON client keeps it exact).</summary>
    public static long ForChat(ulong seed) => (long)(seed >> 11);

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
