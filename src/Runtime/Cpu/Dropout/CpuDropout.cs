using System.Numerics;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Inverted dropout driven by the Philox stream (seed, offset). Element i is kept iff
/// ToUniform(Word(seed, offset, i)) ≥ p; since ToUniform(w) = (w ≫ 8)·2⁻²⁴ exactly, that test is the
/// integer comparison (w ≫ 8) ≥ ⌈p·2²⁴⌉, which a GPU thread evaluates identically.
/// </summary>
internal static unsafe class CpuDropout
{
    public static uint KeepThreshold(double p) => (uint)Math.Ceiling(p * 16777216.0);

    public static void Apply<T>(T* x, T* y, long n, double p, ulong seed, ulong offset) where T : unmanaged, IFloatingPointIeee754<T>
    {
        uint threshold = KeepThreshold(p);
        T scale = T.CreateTruncating(1.0 / (1.0 - p));
        uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
        // Chunks hold whole Philox blocks (CpuChunks.Size is a multiple of 4), so each block is drawn once.
        CpuChunks.For(n, (start, len) =>
        {
            long end = start + len;
            for (long i = start; i < end; i += 4)
            {
                ulong ctr = offset + (ulong)(i / 4);
                var (w0, w1, w2, w3) = Philox.Block((uint)ctr, (uint)(ctr >> 32), 0, 0, k0, k1);
                y[i] = Keep(w0) ? x[i] * scale : T.Zero;
                if (i + 1 < end) y[i + 1] = Keep(w1) ? x[i + 1] * scale : T.Zero;
                if (i + 2 < end) y[i + 2] = Keep(w2) ? x[i + 2] * scale : T.Zero;
                if (i + 3 < end) y[i + 3] = Keep(w3) ? x[i + 3] * scale : T.Zero;
            }
        });

        bool Keep(uint w) => (w >> 8) >= threshold;
    }
}
