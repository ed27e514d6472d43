using System.Runtime.CompilerServices;

namespace Engine.Runtime;

/// <summary>
/// Counter-based Philox4x32-10 (Salmon et al., SC'11). Element i of a stream (seed, offset) is
/// word i%4 of the block at counter (offset + i/4), key = seed. Stateless: a GPU thread computes
/// the same element from the same three numbers, so CPU and CUDA masks and samples match bit for bit.
/// </summary>
public static class Philox
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>One Philox4x32-10 block: four 32-bit words for counter (c0..c3) and key (k0,k1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (uint, uint, uint, uint) Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int r = 0; r < 10; r++)
        {
            ulong p0 = (ulong)M0 * c0, p1 = (ulong)M1 * c2;
            uint hi0 = (uint)(p0 >> 32), lo0 = (uint)p0, hi1 = (uint)(p1 >> 32), lo1 = (uint)p1;
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0);
            k0 += W0; k1 += W1;
        }
        return (c0, c1, c2, c3);
    }

    /// <summary>Raw 32-bit word <paramref name="index"/> of the stream (seed, offset).</summary>
    public static uint Word(ulong seed, ulong offset, ulong index)
    {
        ulong ctr = offset + index / 4;
        var (a, b, c, d) = Block((uint)ctr, (uint)(ctr >> 32), 0, 0, (uint)seed, (uint)(seed >> 32));
        return (index % 4) switch { 0 => a, 1 => b, 2 => c, _ => d };
    }

    /// <summary>Words 0..n-1 of the stream (seed, offset).</summary>
    public static void Fill(ulong seed, ulong offset, Span<uint> dst)
    {
        uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
        int i = 0;
        for (ulong blk = 0; i < dst.Length; blk++)
        {
            ulong ctr = offset + blk;
            var (a, b, c, d) = Block((uint)ctr, (uint)(ctr >> 32), 0, 0, k0, k1);
            dst[i++] = a; if (i < dst.Length) dst[i++] = b; if (i < dst.Length) dst[i++] = c; if (i < dst.Length) dst[i++] = d;
        }
    }

    /// <summary>Uniform float in [0,1) from a word: top 24 bits, exact in f32 on every backend.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToUniform(uint w) => (w >> 8) * (1.0f / 16777216.0f);

    public static void FillUniform(ulong seed, ulong offset, Span<float> dst)
    {
        var w = new uint[dst.Length];
        Fill(seed, offset, w);
        for (int i = 0; i < dst.Length; i++) dst[i] = ToUniform(w[i]);
    }

    /// <summary>Uniform doubles in [0,1) with 53 random bits (two words each).</summary>
    public static void FillUniformDouble(ulong seed, ulong offset, Span<double> dst)
    {
        var w = new uint[dst.Length * 2];
        Fill(seed, offset, w);
        for (int i = 0; i < dst.Length; i++)
        {
            ulong bits = ((ulong)w[2 * i] << 21) ^ (w[2 * i + 1] >> 11);
            dst[i] = (bits & ((1UL << 53) - 1)) * (1.0 / (1UL << 53));
        }
    }

    /// <summary>Standard normals by Box-Muller over pairs of uniforms.</summary>
    public static void FillNormal(ulong seed, ulong offset, Span<double> dst)
    {
        var u = new double[(dst.Length + 1) / 2 * 2];
        FillUniformDouble(seed, offset, u);
        for (int i = 0; i < dst.Length; i += 2)
        {
            double r = Math.Sqrt(-2.0 * Math.Log(1.0 - u[i])), th = 2 * Math.PI * u[i + 1];
            dst[i] = r * Math.Cos(th);
            if (i + 1 < dst.Length) dst[i + 1] = r * Math.Sin(th);
        }
    }
}

/// <summary>A seeded generator that hands out non-overlapping Philox ranges (for dropout, sampling).</summary>
public sealed class Generator(ulong seed)
{
    public ulong Seed { get; } = seed;
    /// <summary>Next unused counter block; saved in checkpoints so a resumed run draws the same numbers.</summary>
    public ulong Offset { get; set; }

    /// <summary>Reserve <paramref name="words"/> words; returns the counter offset where they start.</summary>
    public ulong Take(long words)
    {
        var start = Offset;
        Offset += (ulong)((words + 3) / 4);
        return start;
    }
}
