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

    public static void Apply<T>(T* x, T* y, long n, double p, ulong seed, ulong offset) where T : unmanaged, IFloatingPointIeee754<T> =>
        CpuPhiloxWords.For(n, seed, offset, new Element<T>(x, y, KeepThreshold(p), T.CreateTruncating(1.0 / (1.0 - p))));

    private readonly struct Element<T>(T* x, T* y, uint threshold, T scale) : IPhiloxElement where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void At(long i, uint word) => y[i] = (word >> 8) >= threshold ? x[i] * scale : T.Zero;
    }
}
