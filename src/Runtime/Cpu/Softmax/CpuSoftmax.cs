using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Softmax / log-softmax over the middle axis of a dense [outer, n, inner] block (the reduced dim is n).
/// inner = 1 is the last-dim fast path (one contiguous row per item); otherwise whole rows of
/// length inner are combined, so the work stays vectorised along the contiguous axis.
/// </summary>
internal static unsafe class CpuSoftmax
{
    public static void Forward<T>(T* x, T* y, int outer, int n, int inner, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        if (inner == 1)
        {
            CpuThreads.For(outer, o => Row(new ReadOnlySpan<T>(x + (long)o * n, n), new Span<T>(y + (long)o * n, n), log),
                Math.Max(1, 8192 / n));
            return;
        }
        CpuThreads.For(outer, o =>
        {
            long b = (long)o * n * inner;
            var m = new T[inner];
            var s = new T[inner];
            m.AsSpan().Fill(T.NegativeInfinity);
            for (int r = 0; r < n; r++) TensorPrimitives.Max(m, new ReadOnlySpan<T>(x + b + (long)r * inner, inner), m);
            // A column that is all −inf would give NaN (−inf − −inf); shift by 0 instead, like a masked row.
            for (int i = 0; i < inner; i++) if (T.IsNegativeInfinity(m[i])) m[i] = T.Zero;
            for (int r = 0; r < n; r++)
            {
                var xr = new ReadOnlySpan<T>(x + b + (long)r * inner, inner);
                var yr = new Span<T>(y + b + (long)r * inner, inner);
                TensorPrimitives.Subtract(xr, m, yr);
                TensorPrimitives.Exp(yr, yr);
                TensorPrimitives.Add(s, yr, s);
                if (log) TensorPrimitives.Subtract(xr, m, yr); // log-softmax keeps the shifted value; exp only fed the sum
            }
            if (log)
            {
                TensorPrimitives.Log(s, s);
                for (int r = 0; r < n; r++) { var yr = new Span<T>(y + b + (long)r * inner, inner); TensorPrimitives.Subtract(yr, s, yr); }
            }
            else
            {
                for (int r = 0; r < n; r++) { var yr = new Span<T>(y + b + (long)r * inner, inner); TensorPrimitives.Divide(yr, s, yr); }
            }
        });
    }

    private static void Row<T>(ReadOnlySpan<T> x, Span<T> y, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = TensorPrimitives.Max(x);
        if (T.IsNegativeInfinity(m)) m = T.Zero;
        TensorPrimitives.Subtract(x, m, y);
        if (log)
        {
            // log-softmax = (x − m) − log Σ exp(x − m); the exp lands in y temporarily.
            TensorPrimitives.Exp(y, y);
            var lse = T.Log(CpuReduce.Sum(y));
            // (x − m) − lse, not x − (m + lse): the latter rounds away lse's digits when |m| is large.
            TensorPrimitives.Subtract(x, m, y);
            TensorPrimitives.Subtract(y, lse, y);
        }
        else
        {
            TensorPrimitives.Exp(y, y);
            TensorPrimitives.Divide(y, CpuReduce.Sum(y), y);
        }
    }

    /// <summary>softmax: gx = y∘(g − Σ g∘y); log-softmax: gx = g − exp(y)·Σ g.</summary>
    public static void Backward<T>(T* y, T* gy, T* gx, int outer, int n, int inner, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        if (inner == 1)
        {
            CpuThreads.For(outer, o =>
            {
                var yr = new ReadOnlySpan<T>(y + (long)o * n, n);
                var gr = new ReadOnlySpan<T>(gy + (long)o * n, n);
                var gxr = new Span<T>(gx + (long)o * n, n);
                if (log)
                {
                    var s = CpuReduce.Sum(gr);
                    TensorPrimitives.Exp(yr, gxr);
                    TensorPrimitives.Multiply(gxr, -s, gxr);
                    TensorPrimitives.Add(gxr, gr, gxr);
                }
                else
                {
                    var s = CpuReduce.Dot(gr, yr);
                    TensorPrimitives.Subtract(gr, s, gxr);
                    TensorPrimitives.Multiply(gxr, yr, gxr);
                }
            }, Math.Max(1, 8192 / n));
            return;
        }
        CpuThreads.For(outer, o =>
        {
            long b = (long)o * n * inner;
            var s = new T[inner];
            var tmp = new T[inner];
            for (int r = 0; r < n; r++)
            {
                var gr = new ReadOnlySpan<T>(gy + b + (long)r * inner, inner);
                if (log) TensorPrimitives.Add(s, gr, s);
                else { TensorPrimitives.Multiply(gr, new ReadOnlySpan<T>(y + b + (long)r * inner, inner), tmp); TensorPrimitives.Add(s, tmp, s); }
            }
            for (int r = 0; r < n; r++)
            {
                var yr = new ReadOnlySpan<T>(y + b + (long)r * inner, inner);
                var gr = new ReadOnlySpan<T>(gy + b + (long)r * inner, inner);
                var gxr = new Span<T>(gx + b + (long)r * inner, inner);
                if (log)
                {
                    TensorPrimitives.Exp(yr, gxr);
                    TensorPrimitives.Multiply(gxr, s, gxr);
                    TensorPrimitives.Subtract(gr, gxr, gxr);
                }
                else
                {
                    TensorPrimitives.Subtract(gr, s, gxr);
                    TensorPrimitives.Multiply(gxr, yr, gxr);
                }
            }
        });
    }
}
