namespace Engine.Diagnostics.Cases.Attention;

/// <summary>
/// Scaled dot-product attention as plain loops: q [B, Hq, Tq, D], k/v [B, Hkv, Tk, D] contiguous, query head h reads kv head
/// h / (Hq / Hkv); key_mask [B, Tk] (nonzero = attend) or null; causal: query i sees key j iff j ≤ i + (Tk − Tq).
/// A row that sees no key has o = 0 and lse = +inf.
/// </summary>
public static class AttentionReference
{
    public sealed record Dims(int B, int Hq, int Hkv, int Tq, int Tk, int D);

    private static bool Visible(Dims s, double[]? mask, int b, int i, int j, bool causal) =>
        (!causal || j <= i + (s.Tk - s.Tq)) && (mask is null || mask[b * s.Tk + j] != 0);

    private static int Q(Dims s, int b, int h, int i) => ((b * s.Hq + h) * s.Tq + i) * s.D;
    private static int K(Dims s, int b, int h, int j) => ((b * s.Hkv + h / (s.Hq / s.Hkv)) * s.Tk + j) * s.D;

    private static double Score(Dims s, double[] q, double[] k, int b, int h, int i, int j, double scale)
    {
        double dot = 0;
        for (int c = 0; c < s.D; c++) dot += q[Q(s, b, h, i) + c] * k[K(s, b, h, j) + c];
        return dot * scale;
    }

    public static (double[] o, double[] lse) Forward(Dims s, double[] q, double[] k, double[] v, double[]? mask, bool causal, double scale)
    {
        var o = new double[s.B * s.Hq * s.Tq * s.D];
        var lse = new double[s.B * s.Hq * s.Tq];
        for (int b = 0; b < s.B; b++) for (int h = 0; h < s.Hq; h++) for (int i = 0; i < s.Tq; i++)
        {
            double m = double.NegativeInfinity;
            for (int j = 0; j < s.Tk; j++) if (Visible(s, mask, b, i, j, causal)) m = Math.Max(m, Score(s, q, k, b, h, i, j, scale));
            int row = (b * s.Hq + h) * s.Tq + i;
            if (double.IsNegativeInfinity(m)) { lse[row] = double.PositiveInfinity; continue; }
            double z = 0;
            for (int j = 0; j < s.Tk; j++)
            {
                if (!Visible(s, mask, b, i, j, causal)) continue;
                double p = Math.Exp(Score(s, q, k, b, h, i, j, scale) - m);
                z += p;
                for (int c = 0; c < s.D; c++) o[Q(s, b, h, i) + c] += p * v[K(s, b, h, j) + c];
            }
            for (int c = 0; c < s.D; c++) o[Q(s, b, h, i) + c] /= z;
            lse[row] = m + Math.Log(z);
        }
        return (o, lse);
    }

    /// <summary>From the given o and lse (as the op takes them): P = exp(S − lse), δ = dO·o, dS = P∘(dO·V − δ), dQ = scale·dS·K, dK = scale·dSᵀ·Q, dV = Pᵀ·dO.</summary>
    public static (double[] dq, double[] dk, double[] dv) Backward(Dims s, double[] q, double[] k, double[] v, double[] o, double[] lse, double[] dO,
        double[]? mask, bool causal, double scale)
    {
        var dq = new double[q.Length]; var dk = new double[k.Length]; var dv = new double[v.Length];
        for (int b = 0; b < s.B; b++) for (int h = 0; h < s.Hq; h++) for (int i = 0; i < s.Tq; i++)
        {
            int row = (b * s.Hq + h) * s.Tq + i, qi = Q(s, b, h, i);
            if (double.IsPositiveInfinity(lse[row])) continue;
            double delta = 0;
            for (int c = 0; c < s.D; c++) delta += dO[qi + c] * o[qi + c];
            for (int j = 0; j < s.Tk; j++)
            {
                if (!Visible(s, mask, b, i, j, causal)) continue;
                int kj = K(s, b, h, j);
                double p = Math.Exp(Score(s, q, k, b, h, i, j, scale) - lse[row]), dp = 0;
                for (int c = 0; c < s.D; c++) dp += dO[qi + c] * v[kj + c];
                double ds = p * (dp - delta);
                for (int c = 0; c < s.D; c++)
                {
                    dq[qi + c] += scale * ds * k[kj + c];
                    dk[kj + c] += scale * ds * q[qi + c];
                    dv[kj + c] += p * dO[qi + c];
                }
            }
        }
        return (dq, dk, dv);
    }
}
