using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Sums and dot products whose rounding depends only on the length of the input. TensorPrimitives' aggregations first
/// step to a 64-byte boundary, so the same values at another address (a stack buffer on another thread, a managed
/// array the GC placed elsewhere) are added in another order and give other bits: runs of one seed drifted apart.
/// Here lanes always start at element 0, there are always four 256-bit accumulators (the same on AVX2 and AVX-512
/// machines), they are combined in a fixed order and the tail is added last, element by element.
/// </summary>
internal static class CpuReduce
{
    public static T Sum<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T xr = ref MemoryMarshal.GetReference(x);
        int n = x.Length, w = Vector256<T>.Count, i = 0;
        var a0 = Vector256<T>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        for (; i + 4 * w <= n; i += 4 * w)
        {
            a0 += Vector256.LoadUnsafe(ref xr, (nuint)i);
            a1 += Vector256.LoadUnsafe(ref xr, (nuint)(i + w));
            a2 += Vector256.LoadUnsafe(ref xr, (nuint)(i + 2 * w));
            a3 += Vector256.LoadUnsafe(ref xr, (nuint)(i + 3 * w));
        }
        for (; i + w <= n; i += w) a0 += Vector256.LoadUnsafe(ref xr, (nuint)i);
        T s = Lanes((a0 + a1) + (a2 + a3));
        for (; i < n; i++) s += Unsafe.Add(ref xr, i);
        return s;
    }

    /// <summary>Σ x·y (each product rounded, then added: no fused multiply-add, so every machine rounds alike).</summary>
    public static T Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length != y.Length) throw new ArgumentException($"CpuReduce.Dot: lengths differ ({x.Length} vs {y.Length}).");
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length, w = Vector256<T>.Count, i = 0;
        var a0 = Vector256<T>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        for (; i + 4 * w <= n; i += 4 * w)
        {
            a0 += Vector256.LoadUnsafe(ref xr, (nuint)i) * Vector256.LoadUnsafe(ref yr, (nuint)i);
            a1 += Vector256.LoadUnsafe(ref xr, (nuint)(i + w)) * Vector256.LoadUnsafe(ref yr, (nuint)(i + w));
            a2 += Vector256.LoadUnsafe(ref xr, (nuint)(i + 2 * w)) * Vector256.LoadUnsafe(ref yr, (nuint)(i + 2 * w));
            a3 += Vector256.LoadUnsafe(ref xr, (nuint)(i + 3 * w)) * Vector256.LoadUnsafe(ref yr, (nuint)(i + 3 * w));
        }
        for (; i + w <= n; i += w) a0 += Vector256.LoadUnsafe(ref xr, (nuint)i) * Vector256.LoadUnsafe(ref yr, (nuint)i);
        T s = Lanes((a0 + a1) + (a2 + a3));
        for (; i < n; i++) s += Unsafe.Add(ref xr, i) * Unsafe.Add(ref yr, i);
        return s;
    }

    public static T SumOfSquares<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T> => Dot(x, x);

    /// <summary>The lanes added left to right (Vector256.Sum's order is the hardware's choice).</summary>
    private static T Lanes<T>(Vector256<T> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T s = v.GetElement(0);
        for (int l = 1; l < Vector256<T>.Count; l++) s += v.GetElement(l);
        return s;
    }
}
