using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Rotary embedding, "rotate_half" convention, on one row of D elements with tables of R ≤ D entries
/// (h = R/2): forward y[j] = x[j]·c[j] − x[j+h]·s[j] (j &lt; h), y[j] = x[j]·c[j] + x[j−h]·s[j] (h ≤ j &lt; R),
/// y[j] = x[j] beyond R. The transposed map (the backward for x) is
/// g[j]·c[j] + g[j+h]·s[j+h] (j &lt; h), g[j]·c[j] − g[j−h]·s[j−h] (h ≤ j &lt; R).
/// </summary>
internal static unsafe class CpuRope
{
    /// <param name="x">x[b,h,t,:] at x + b·sb + h·sh + t·st (unit stride along D).</param>
    /// <param name="cs">cos/sin row (b,t) at cos + b·cb + t·R (cb = 0 for shared [T, R] tables).</param>
    public static void Apply<T>(T* x, long sb, long sh, long st, T* cos, T* sin, long cb, T* y,
        int bN, int hN, int tN, int d, int r, bool transpose) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int half = r / 2;
        CpuThreads.For(bN * hN, bh =>
        {
            int b = bh / hN, h = bh % hN;
            Span<T> tmp = stackalloc T[half];
            for (int t = 0; t < tN; t++)
            {
                T* xr = x + b * sb + h * sh + t * st;
                T* yr = y + (((long)b * hN + h) * tN + t) * d;
                T* c = cos + b * cb + (long)t * r;
                T* s = sin + b * cb + (long)t * r;
                var x1 = new ReadOnlySpan<T>(xr, half);
                var x2 = new ReadOnlySpan<T>(xr + half, half);
                var y1 = new Span<T>(yr, half);
                var y2 = new Span<T>(yr + half, half);
                var c1 = new ReadOnlySpan<T>(c, half);
                var c2 = new ReadOnlySpan<T>(c + half, half);
                var s1 = new ReadOnlySpan<T>(s, half);
                var s2 = new ReadOnlySpan<T>(s + half, half);
                if (!transpose)
                {
                    // y1 = x1·c1 − x2·s1 ; y2 = x2·c2 + x1·s2
                    TensorPrimitives.Multiply(x2, s1, tmp);
                    TensorPrimitives.Multiply(x1, c1, y1);
                    TensorPrimitives.Subtract(y1, tmp, y1);
                    TensorPrimitives.Multiply(x1, s2, tmp);
                    TensorPrimitives.Multiply(x2, c2, y2);
                    TensorPrimitives.Add(y2, tmp, y2);
                }
                else
                {
                    // y1 = x1·c1 + x2·s2 ; y2 = x2·c2 − x1·s1
                    TensorPrimitives.Multiply(x2, s2, tmp);
                    TensorPrimitives.Multiply(x1, c1, y1);
                    TensorPrimitives.Add(y1, tmp, y1);
                    TensorPrimitives.Multiply(x1, s1, tmp);
                    TensorPrimitives.Multiply(x2, c2, y2);
                    TensorPrimitives.Subtract(y2, tmp, y2);
                }
                if (r < d) new ReadOnlySpan<T>(xr + r, d - r).CopyTo(new Span<T>(yr + r, d - r));
            }
        }, Math.Max(1, 16384 / Math.Max(1, tN * d)));
    }
}
