namespace Engine.Diagnostics.Cases.Loss;

/// <summary>The softmax-based losses as plain f64 loops over rows of V.</summary>
public static class LossReference
{
    public static double LogSumExp(double[] x, int row, int vocab)
    {
        double m = double.NegativeInfinity;
        for (int v = 0; v < vocab; v++) m = Math.Max(m, x[row * vocab + v]);
        double s = 0;
        for (int v = 0; v < vocab; v++) s += Math.Exp(x[row * vocab + v] - m);
        return m + Math.Log(s);
    }

    public static double[] LogSoftmaxRow(double[] x, int row, int vocab)
    {
        double l = LogSumExp(x, row, vocab);
        var r = new double[vocab];
        for (int v = 0; v < vocab; v++) r[v] = x[row * vocab + v] - l;
        return r;
    }

    /// <summary>Σ_v p_v·(log p_v − log q_v) for one row.</summary>
    public static double Kl(double[] p, double[] q, int row, int vocab)
    {
        var lp = LogSoftmaxRow(p, row, vocab);
        var lq = LogSoftmaxRow(q, row, vocab);
        double s = 0;
        for (int v = 0; v < vocab; v++) s += Math.Exp(lp[v]) * (lp[v] - lq[v]);
        return s;
    }

    /// <summary>Per row: nll = lse − x[t] (0 where t is ignored); dLogits = rowGrad·(softmax − onehot(t)) (0 where ignored).</summary>
    public static (double[] nll, double[] dLogits) CrossEntropy(double[] x, long[] targets, double[] rowGrad, int vocab, long? ignore)
    {
        int rows = targets.Length;
        var nll = new double[rows]; var d = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            if (targets[r] == ignore) continue;
            double lse = LogSumExp(x, r, vocab);
            nll[r] = lse - x[r * vocab + targets[r]];
            for (int v = 0; v < vocab; v++) d[r * vocab + v] = rowGrad[r] * (Math.Exp(x[r * vocab + v] - lse) - (v == targets[r] ? 1 : 0));
        }
        return (nll, d);
    }

    /// <summary>
    /// KL(p‖q) + KL(q‖p) per row; the row statistics (lseP, lseQ, KL(p‖q), KL(q‖p)); and the gradients
    /// dP = gy·(p∘(log p − log q + 1 − KL(p‖q)) − q), dQ = gy·(q∘(log q − log p + 1 − KL(q‖p)) − p), evaluated from the
    /// statistics as the op saves them (f32): the backward's contract, and what its result depends on where p ≈ q cancels.
    /// </summary>
    public static (double[] kl, double[] stats, double[] dP, double[] dQ) SymmetricKl(double[] x, double[] y, double[] gy, int vocab)
    {
        int rows = x.Length / vocab;
        var kl = new double[rows]; var stats = new double[rows * 4]; var dP = new double[x.Length]; var dQ = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            var lp = LogSoftmaxRow(x, r, vocab); var lq = LogSoftmaxRow(y, r, vocab);
            double pq = 0, qp = 0;
            for (int v = 0; v < vocab; v++) { pq += Math.Exp(lp[v]) * (lp[v] - lq[v]); qp += Math.Exp(lq[v]) * (lq[v] - lp[v]); }
            kl[r] = pq + qp;
            stats[4 * r] = LogSumExp(x, r, vocab); stats[4 * r + 1] = LogSumExp(y, r, vocab); stats[4 * r + 2] = pq; stats[4 * r + 3] = qp;
            double lseP = (float)stats[4 * r], lseQ = (float)stats[4 * r + 1], pqF = (float)pq, qpF = (float)qp;
            for (int v = 0; v < vocab; v++)
            {
                double a = x[r * vocab + v] - lseP, b = y[r * vocab + v] - lseQ, p = Math.Exp(a), q = Math.Exp(b);
                dP[r * vocab + v] = gy[r] * (p * (a - b + 1 - pqF) - q);
                dQ[r * vocab + v] = gy[r] * (q * (b - a + 1 - qpF) - p);
            }
        }
        return (kl, stats, dP, dQ);
    }
}
