using System.Numerics;

namespace Engine.Runtime.Cpu;

/// <summary>
/// CPU reference of the hard-concrete ops, generic over f32/f64 (f64 for gradient checks). The noise u is
/// always the f32 value of <see cref="HardConcrete.Noise"/>, so an f64 run sees the same draws as an f32 one.
/// </summary>
internal static unsafe class CpuHardConcrete
{
    private static T C<T>(double v) where T : IFloatingPointIeee754<T> => T.CreateTruncating(v);

    /// <summary>Stretched sigmoid before the clamp: s and s·(r−l)+l for element i of the stream.</summary>
    private static (T s, T zr) Stretched<T>(T logAlpha, uint word) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T u = T.CreateTruncating(HardConcrete.Noise(word));
        T x = (T.Log(u) - T.Log(T.One - u) + logAlpha) / C<T>(HardConcrete.Beta);
        T s = T.One / (T.One + T.Exp(-x));
        return (s, T.FusedMultiplyAdd(s, C<T>(HardConcrete.Stretch), C<T>(HardConcrete.L)));
    }

    public static void Sample<T>(T* la, T* z, long n, ulong seed, ulong offset) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CpuPhiloxWords.For(n, seed, offset, (i, w) => z[i] = T.Clamp(Stretched(la[i], w).zr, T.Zero, T.One));
    }

    public static void SampleBackward<T>(T* la, T* gz, T* g, long n, ulong seed, ulong offset) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T gain = C<T>(HardConcrete.Stretch) / C<T>(HardConcrete.Beta);
        CpuPhiloxWords.For(n, seed, offset, (i, w) =>
        {
            var (s, zr) = Stretched(la[i], w);
            g[i] = zr > T.Zero && zr < T.One ? gz[i] * (s * (T.One - s)) * gain : T.Zero;
        });
    }

    /// <summary>c = σ(β·logit(1/12) − log α) = 1/(1 + exp(log α + shift)), the CDF at 0 before the clamp.</summary>
    private static T Cdf<T>(T logAlpha) where T : IFloatingPointIeee754<T> => T.One / (T.One + T.Exp(logAlpha + C<T>(HardConcrete.ScoreShift)));

    public static void Score<T>(T* la, T* y, long n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lo = C<T>(HardConcrete.Eps), hi = T.One - lo;
        CpuChunks.For(n, (start, len) =>
        {
            for (long i = start; i < start + len; i++) y[i] = T.One - T.Clamp(Cdf(la[i]), lo, hi);
        });
    }

    public static void ScoreBackward<T>(T* la, T* gs, T* g, long n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lo = C<T>(HardConcrete.Eps), hi = T.One - lo;
        CpuChunks.For(n, (start, len) =>
        {
            for (long i = start; i < start + len; i++)
            {
                T c = Cdf(la[i]);
                g[i] = c >= lo && c <= hi ? gs[i] * (c * (T.One - c)) : T.Zero;
            }
        });
    }

    /// <summary>One row of the eval mask; see IBackend.HardConcreteEvalMask for the rule.</summary>
    public static void EvalMaskRow<T>(T* la, T* y, int n, int targetSize) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < n; j++)
            if (T.IsNaN(la[j])) throw new ArgumentException($"HardConcreteEvalMask: log α has a NaN at row element {j}.");
        int k = targetSize >= 0 ? n - targetSize : HardConcrete.ZerosFromScore(HardConcrete.RowScoreSum(j => double.CreateTruncating(la[j]), n), n);
        T scale = C<T>(HardConcrete.MagicalNumber), beta = C<T>(HardConcrete.Beta);
        for (int j = 0; j < n; j++) y[j] = T.One / (T.One + T.Exp(-(la[j] / beta * scale)));
        if (k <= 0) return;
        // Ascending log α, ties by descending index: the first k are zeroed.
        var order = new int[n];
        for (int j = 0; j < n; j++) order[j] = j;
        Array.Sort(order, (a, b) => la[a] < la[b] ? -1 : la[a] > la[b] ? 1 : b.CompareTo(a));
        for (int q = 0; q < k; q++) y[order[q]] = T.Zero;
    }

    public static void ClampInPlace<T>(T* x, long n, double min, double max) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lo = C<T>(min), hi = C<T>(max);
        for (long i = 0; i < n; i++) x[i] = T.Min(T.Max(x[i], lo), hi);
    }
}
