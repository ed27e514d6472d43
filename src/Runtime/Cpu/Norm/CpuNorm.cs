using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Runtime.Cpu;

/// <summary>RMSNorm and LayerNorm kernels over the last dim of a dense [rows, D] block, generic over F32/F64.</summary>
internal static unsafe class CpuNorm
{
    /// <summary>Rows per weight-gradient partial: the partials are summed in a fixed order, so results do not depend on threading.</summary>
    private const int RowsPerPartial = 64;

    private static int MinRowsPerThread(int d) => Math.Max(1, 16384 / Math.Max(1, d));

    public static void RmsNorm<T>(T* x, T* w, T* y, T* rstd, int rows, int d, T eps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dn = T.CreateTruncating(d);
        CpuThreads.For(rows, r =>
        {
            var xr = new ReadOnlySpan<T>(x + (long)r * d, d);
            var yr = new Span<T>(y + (long)r * d, d);
            var rs = T.One / T.Sqrt(CpuReduce.SumOfSquares(xr) / dn + eps);
            rstd[r] = rs;
            TensorPrimitives.Multiply(xr, rs, yr);
            TensorPrimitives.Multiply(yr, new ReadOnlySpan<T>(w, d), yr);
        }, MinRowsPerThread(d));
    }

    /// <summary>gx = rstd·(g∘w − x·rstd²·mean(g∘w∘x)); gw = Σ_rows g∘x·rstd.</summary>
    public static void RmsNormBackward<T>(T* x, T* w, T* rstd, T* gy, T* gx, T* gw, int rows, int d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dn = T.CreateTruncating(d);
        int parts = (rows + RowsPerPartial - 1) / RowsPerPartial;
        var partial = new T[(long)parts * d];
        fixed (T* pp = partial)
        {
            T* pw = pp;
            CpuThreads.For(parts, p =>
            {
                Span<T> gxn = d <= 1024 ? stackalloc T[d] : new T[d];
                var acc = new Span<T>(pw + (long)p * d, d);
                int r1 = Math.Min(rows, (p + 1) * RowsPerPartial);
                for (int r = p * RowsPerPartial; r < r1; r++)
                {
                    var xr = new ReadOnlySpan<T>(x + (long)r * d, d);
                    var gr = new ReadOnlySpan<T>(gy + (long)r * d, d);
                    var gxr = new Span<T>(gx + (long)r * d, d);
                    var rs = rstd[r];
                    TensorPrimitives.Multiply(gr, new ReadOnlySpan<T>(w, d), gxn);
                    var c = CpuReduce.Dot(gxn, xr) / dn * rs * rs;
                    // gx = rs·gxn − (rs·c)·x
                    TensorPrimitives.Multiply(xr, -(rs * c), gxr);
                    TensorPrimitives.MultiplyAdd(gxn, rs, gxr, gxr);
                    // gw partial += g ∘ x · rs
                    TensorPrimitives.Multiply(gr, xr, gxn);
                    TensorPrimitives.MultiplyAdd(gxn, rs, acc, acc);
                }
            });
            SumPartials(pp, parts, d, gw);
        }
    }

    public static void LayerNorm<T>(T* x, T* w, T* b, T* y, T* mean, T* rstd, int rows, int d, T eps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CpuThreads.For(rows, r =>
        {
            var xr = new ReadOnlySpan<T>(x + (long)r * d, d);
            var yr = new Span<T>(y + (long)r * d, d);
            // Statistics accumulate in f64 and are rounded once: the f32 mean and rstd are then (in practice) the
            // correctly rounded values, independent of summation order, which the CUDA twin reproduces bit for bit.
            var mu = T.CreateTruncating(SumF64(xr) / d);
            // Two-pass variance: stable when |mean| ≫ std.
            TensorPrimitives.Subtract(xr, mu, yr);
            var rs = T.CreateTruncating(1.0 / Math.Sqrt(DotF64(yr, yr) / d + double.CreateTruncating(eps)));
            mean[r] = mu; rstd[r] = rs;
            TensorPrimitives.Multiply(yr, rs, yr);
            TensorPrimitives.Multiply(yr, new ReadOnlySpan<T>(w, d), yr);
            if (b != null) TensorPrimitives.Add(yr, new ReadOnlySpan<T>(b, d), yr);
        }, MinRowsPerThread(d));
    }

    /// <summary>
    /// x̂ = (x−μ)·rstd, ĝ = g∘w: gx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ∘x̂)); gw = Σ g∘x̂; gb = Σ g.
    /// The two row means accumulate in f64 (see <see cref="LayerNorm{T}"/>).
    /// </summary>
    public static void LayerNormBackward<T>(T* x, T* w, T* mean, T* rstd, T* gy, T* gx, T* gw, T* gb, int rows, int d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = (rows + RowsPerPartial - 1) / RowsPerPartial;
        var partW = new T[(long)parts * d];
        var partB = gb != null ? new T[(long)parts * d] : null;
        fixed (T* pw0 = partW) fixed (T* pb0 = partB)
        {
            T* pw = pw0, pb = pb0;
            CpuThreads.For(parts, p =>
            {
                Span<T> xhat = d <= 512 ? stackalloc T[d] : new T[d];
                Span<T> ghat = d <= 512 ? stackalloc T[d] : new T[d];
                var accW = new Span<T>(pw + (long)p * d, d);
                int r1 = Math.Min(rows, (p + 1) * RowsPerPartial);
                for (int r = p * RowsPerPartial; r < r1; r++)
                {
                    var xr = new ReadOnlySpan<T>(x + (long)r * d, d);
                    var gr = new ReadOnlySpan<T>(gy + (long)r * d, d);
                    var gxr = new Span<T>(gx + (long)r * d, d);
                    var rs = rstd[r];
                    TensorPrimitives.Subtract(xr, mean[r], xhat);
                    TensorPrimitives.Multiply(xhat, rs, xhat);
                    TensorPrimitives.Multiply(gr, new ReadOnlySpan<T>(w, d), ghat);
                    var mg = T.CreateTruncating(SumF64(ghat) / d);
                    var mgx = T.CreateTruncating(DotF64(ghat, xhat) / d);
                    // gx = rs·ĝ − rs·mg − (rs·mgx)·x̂
                    TensorPrimitives.Multiply(xhat, -(rs * mgx), gxr);
                    TensorPrimitives.MultiplyAdd(ghat, rs, gxr, gxr);
                    TensorPrimitives.Subtract(gxr, rs * mg, gxr);
                    TensorPrimitives.MultiplyAdd(gr, xhat, accW, accW);
                    if (pb != null) { var accB = new Span<T>(pb + (long)p * d, d); TensorPrimitives.Add(accB, gr, accB); }
                }
            });
            SumPartials(pw, parts, d, gw);
            if (gb != null) SumPartials(pb, parts, d, gb);
        }
    }

    /// <summary>Σ x in f64 (f32 elements convert exactly).</summary>
    private static double SumF64<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double s0 = 0, s1 = 0;
        int i = 0;
        for (; i + 1 < x.Length; i += 2) { s0 += double.CreateTruncating(x[i]); s1 += double.CreateTruncating(x[i + 1]); }
        if (i < x.Length) s0 += double.CreateTruncating(x[i]);
        return s0 + s1;
    }

    /// <summary>Σ a·b in f64 (a product of two f32 values is exact in f64).</summary>
    private static double DotF64<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double s0 = 0, s1 = 0;
        int i = 0;
        for (; i + 1 < a.Length; i += 2)
        {
            s0 += double.CreateTruncating(a[i]) * double.CreateTruncating(b[i]);
            s1 += double.CreateTruncating(a[i + 1]) * double.CreateTruncating(b[i + 1]);
        }
        if (i < a.Length) s0 += double.CreateTruncating(a[i]) * double.CreateTruncating(b[i]);
        return s0 + s1;
    }

    private static void SumPartials<T>(T* partials, int parts, int d, T* dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = new Span<T>(dst, d);
        o.Clear();
        for (int p = 0; p < parts; p++) TensorPrimitives.Add(o, new ReadOnlySpan<T>(partials + (long)p * d, d), o);
    }
}
