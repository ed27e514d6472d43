namespace Engine.Methods.Evaluation.Testbed;

/// <summary>
/// SplitMix64: a tiny seeded generator whose algorithm we own, so one seed gives the same data on every
/// machine and runtime version (System.Random's algorithm is not a stable contract).
/// </summary>
public sealed class TestbedRng(ulong seed)
{
    private ulong _state = seed;

    public ulong NextU64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, maxExclusive), without modulo bias (rejection sampling).</summary>
    public int Next(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive), $"TestbedRng.Next: bound must be positive, got {maxExclusive}.");
        ulong bound = (ulong)maxExclusive;
        ulong limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong x;
        do x = NextU64(); while (x >= limit);
        return (int)(x % bound);
    }

    /// <summary>Uniform integer in [min, maxInclusive].</summary>
    public int Range(int min, int maxInclusive) => min + Next(maxInclusive - min + 1);

    public double NextDouble() => (NextU64() >> 11) * (1.0 / (1UL << 53));

    public bool Coin() => (NextU64() & 1) == 1;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>Fisher–Yates, in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Derives an independent seed from a parent seed and labels (order matters).</summary>
    public static ulong Derive(ulong seed, params ulong[] parts)
    {
        ulong h = Finalize(seed ^ 0x6A09E667F3BCC909UL);
        foreach (var p in parts) h = Finalize(h ^ Finalize(p + 0x9E3779B97F4A7C15UL));
        return h;
    }

    public static ulong Derive(ulong seed, string label, params ulong[] parts) => Derive(seed, [StableHash.Of(label), .. parts]);

    private static ulong Finalize(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>FNV-1a 64 over UTF-8: a hash that never changes between processes (string.GetHashCode is randomised).</summary>
public static class StableHash
{
    public static ulong Of(string text)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(text)) { h ^= b; h *= 0x100000001B3UL; }
        return h;
    }
}
