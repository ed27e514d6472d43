namespace Engine.Tests.LossOps;

/// <summary>Plain-loop references for the softmax-based losses (independent of the kernels under test).</summary>
internal static class LossReference
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
}
