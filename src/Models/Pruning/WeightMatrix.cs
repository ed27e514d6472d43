using Engine.Runtime;

namespace Engine.Models.Pruning;

/// <summary>Row/column selection with scaling of a weight read to the host in f64, one tensor at a time.</summary>
internal static class WeightMatrix
{
    /// <summary>w[rows, cols] (w is [R, C]) with row r scaled by rowScale[r] and column c by colScale[c] (indices into the output).</summary>
    public static double[] Take(Tensor w, int[] rows, int[] cols, double[]? rowScale = null, double[]? colScale = null)
    {
        var src = Read(w);
        int c = w.Size(1);
        var dst = new double[rows.Length * cols.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            double rs = rowScale?[i] ?? 1;
            long at = (long)rows[i] * c;
            for (int j = 0; j < cols.Length; j++) dst[i * cols.Length + j] = src[at + cols[j]] * rs * (colScale?[j] ?? 1);
        }
        return dst;
    }

    /// <summary>v[idx] of a vector.</summary>
    public static double[] Vector(Tensor v, int[] idx)
    {
        var src = Read(v);
        return idx.Select(i => src[i]).ToArray();
    }

    private static double[] Read(Tensor t)
    {
        using var _ = Autograd.NoGrad();
        return t.ToDoubleArray();
    }
}
