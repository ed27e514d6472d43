namespace Engine.Diagnostics.Cases.Norm;

/// <summary>RMSNorm and LayerNorm (torch semantics: biased variance) and their gradients as plain f64 loops over rows of D.</summary>
public static class NormReference
{
    public static (double[] y, double[] rstd) RmsNorm(double[] x, double[] w, int d, double eps)
    {
        int rows = x.Length / d;
        var y = new double[x.Length]; var rstd = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double ss = 0;
            for (int i = 0; i < d; i++) ss += x[r * d + i] * x[r * d + i];
            rstd[r] = 1 / Math.Sqrt(ss / d + eps);
            for (int i = 0; i < d; i++) y[r * d + i] = x[r * d + i] * rstd[r] * w[i];
        }
        return (y, rstd);
    }

    /// <summary>gx = rstd·w∘gy − x·rstd³/d·Σ gy∘w∘x; gw = Σ_rows gy∘x·rstd.</summary>
    public static (double[] gx, double[] gw) RmsNormBackward(double[] x, double[] w, double[] gy, int d, double eps)
    {
        var (_, rstd) = RmsNorm(x, w, d, eps);
        int rows = x.Length / d;
        var gx = new double[x.Length]; var gw = new double[d];
        for (int r = 0; r < rows; r++)
        {
            double dot = 0, s = rstd[r];
            for (int i = 0; i < d; i++) dot += gy[r * d + i] * w[i] * x[r * d + i];
            for (int i = 0; i < d; i++)
            {
                gx[r * d + i] = s * w[i] * gy[r * d + i] - x[r * d + i] * s * s * s / d * dot;
                gw[i] += gy[r * d + i] * x[r * d + i] * s;
            }
        }
        return (gx, gw);
    }

    public static (double[] y, double[] mean, double[] rstd) LayerNorm(double[] x, double[] w, double[]? b, int d, double eps)
    {
        int rows = x.Length / d;
        var y = new double[x.Length]; var mean = new double[rows]; var rstd = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double mu = 0, v = 0;
            for (int i = 0; i < d; i++) mu += x[r * d + i];
            mu /= d;
            for (int i = 0; i < d; i++) v += (x[r * d + i] - mu) * (x[r * d + i] - mu);
            mean[r] = mu; rstd[r] = 1 / Math.Sqrt(v / d + eps);
            for (int i = 0; i < d; i++) y[r * d + i] = (x[r * d + i] - mu) * rstd[r] * w[i] + (b?[i] ?? 0);
        }
        return (y, mean, rstd);
    }

    /// <summary>x̂ = (x − μ)·rstd, ĝ = gy∘w: gx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ∘x̂)); gw = Σ gy∘x̂; gb = Σ gy.</summary>
    public static (double[] gx, double[] gw, double[] gb) LayerNormBackward(double[] x, double[] w, double[] gy, int d, double eps)
    {
        var (_, mean, rstd) = LayerNorm(x, w, null, d, eps);
        int rows = x.Length / d;
        var gx = new double[x.Length]; var gw = new double[d]; var gb = new double[d];
        for (int r = 0; r < rows; r++)
        {
            double mg = 0, mgx = 0;
            for (int i = 0; i < d; i++)
            {
                double xh = (x[r * d + i] - mean[r]) * rstd[r], gh = gy[r * d + i] * w[i];
                mg += gh; mgx += gh * xh;
                gw[i] += gy[r * d + i] * xh; gb[i] += gy[r * d + i];
            }
            mg /= d; mgx /= d;
            for (int i = 0; i < d; i++)
            {
                double xh = (x[r * d + i] - mean[r]) * rstd[r], gh = gy[r * d + i] * w[i];
                gx[r * d + i] = rstd[r] * (gh - mg - xh * mgx);
            }
        }
        return (gx, gw, gb);
    }
}
