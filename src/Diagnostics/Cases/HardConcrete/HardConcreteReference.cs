using Engine.Runtime;

namespace Engine.Diagnostics.Cases.HardConcrete;

/// <summary>
/// Plain f64 loops in the textbook form of l0_module.py (quantile_concrete, cdf_qz, _deterministic_z), written
/// independently of the engine's kernels; only the documented noise mapping of the Philox word is shared.
/// </summary>
public static class HardConcreteReference
{
    public const double L = -0.1, R = 1.1, Beta = 2.0 / 3.0, Eps = 1e-6;

    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>The documented noise: u = fma(U, 0.999998f, 1e-6f) in f32, U = (word ≫ 8)·2⁻²⁴.</summary>
    public static double Noise(ulong seed, ulong offset, long i)
    {
        float uniform = (Philox.Word(seed, offset, (ulong)i) >> 8) / 16777216f;
        return MathF.FusedMultiplyAdd(uniform, 0.999998f, 1e-6f);
    }

    /// <summary>quantile_concrete before the hardtanh: s·(r − l) + l, and s.</summary>
    public static (double stretched, double s) Stretched(double logAlpha, double u)
    {
        double s = Sigmoid((Math.Log(u) - Math.Log(1 - u) + logAlpha) / Beta);
        return (s * (R - L) + L, s);
    }

    public static double Sample(double logAlpha, double u) => Math.Clamp(Stretched(logAlpha, u).stretched, 0, 1);

    /// <summary>1 − cdf_qz(0, log α) with the clamp of the code form.</summary>
    public static double Score(double logAlpha)
    {
        double xn = (0 - L) / (R - L);
        double logits = Math.Log(xn) - Math.Log(1 - xn);
        return 1 - Math.Clamp(Sigmoid(logits * Beta - logAlpha), Eps, 1 - Eps);
    }

    public static double Soft(double logAlpha) => Sigmoid(logAlpha / Beta * 0.8);

    /// <summary>dz/dlog α = s(1 − s)·(r − l)/β inside the open interval (0, 1) of the stretched value, 0 where the clamp holds.</summary>
    public static double SampleDerivative(double logAlpha, double u)
    {
        var (stretched, s) = Stretched(logAlpha, u);
        return stretched > 0 && stretched < 1 ? s * (1 - s) * (R - L) / Beta : 0;
    }

    /// <summary>
    /// d score / dlog α = c(1 − c), c = σ(β·logit(1/12) − log α), where ε ≤ c ≤ 1 − ε (else the clamp holds: 0). For f32
    /// log α the clamp tests c as f32 arithmetic makes it, 1/(1 + exp(log α + β·ln 11)) (as torch does for f32 tensors):
    /// near the boundary the f64 value can fall on the other side.
    /// </summary>
    public static double ScoreDerivative(double logAlpha)
    {
        double xn = (0 - L) / (R - L);
        double shift = -(Math.Log(xn) - Math.Log(1 - xn)) * Beta;
        double c = Sigmoid(-shift - logAlpha);
        float cf = 1f / (1f + MathF.Exp((float)logAlpha + (float)shift));
        return cf >= (float)Eps && cf <= 1 - (float)Eps ? c * (1 - c) : 0;
    }

    /// <summary>
    /// _deterministic_z for one row with the engine's documented tie rule: an entry is zeroed iff fewer than k
    /// entries precede it in the order (log α ascending, index descending).
    /// </summary>
    public static double[] EvalMaskRow(double[] la, int k)
    {
        int n = la.Length;
        var y = new double[n];
        for (int j = 0; j < n; j++)
        {
            int before = 0;
            for (int i = 0; i < n; i++)
                if (la[i] < la[j] || (la[i] == la[j] && i > j)) before++;
            y[j] = before < k ? 0 : Soft(la[j]);
        }
        return y;
    }

    /// <summary>k of _deterministic_z: Python round (half to even) of n − Σ score.</summary>
    public static int ZerosFromScore(double[] la) => (int)Math.Round(la.Length - la.Sum(Score), MidpointRounding.ToEven);
}
