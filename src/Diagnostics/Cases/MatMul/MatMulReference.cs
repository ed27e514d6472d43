namespace Engine.Diagnostics.Cases.MatMul;

/// <summary>Row-major op(A)·op(B) accumulated in f64: the exact product f32 GEMMs are measured against.</summary>
public static class MatMulReference
{
    /// <param name="a">[m, k], or [k, m] when <paramref name="ta"/>.</param>
    /// <param name="b">[k, n], or [n, k] when <paramref name="tb"/>.</param>
    public static double[] Gemm(bool ta, bool tb, int m, int n, int k, double[] a, double[] b)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[ta ? p * m + i : i * k + p] * b[tb ? j * k + p : p * n + j];
                c[i * n + j] = s;
            }
        return c;
    }

    /// <summary>Batched <see cref="Gemm"/> over contiguous batches (b shared when <paramref name="sharedB"/>).</summary>
    public static double[] Batched(int batch, bool ta, bool tb, int m, int n, int k, double[] a, double[] b, bool sharedB) =>
        Enumerable.Range(0, batch).SelectMany(i => Gemm(ta, tb, m, n, k, a[(i * m * k)..((i + 1) * m * k)],
            sharedB ? b : b[(i * k * n)..((i + 1) * k * n)])).ToArray();
}
