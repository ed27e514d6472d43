using System.Text;

namespace Engine.Methods.Selection.CDT;

/// <summary>
/// The method's own small, stable randomness: SplitMix64 (the same stream on every machine and .NET version, unlike
/// System.Random's unseeded or future algorithms) and an FNV-1a hash of text for per-sample seeds.
/// </summary>
public sealed class CdtRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong NextU64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n) without modulo bias.</summary>
    public int Next(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), "n must be positive.");
        ulong bound = (ulong)n, limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong x;
        do x = NextU64(); while (x >= limit);
        return (int)(x % bound);
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>FNV-1a 64 of the UTF-8 bytes.</summary>
    public static ulong Hash(string text)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (var b in Encoding.UTF8.GetBytes(text)) { h ^= b; h *= 0x100000001B3UL; }
        return h;
    }
}
