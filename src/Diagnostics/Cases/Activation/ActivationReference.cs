using Engine.Runtime;

namespace Engine.Diagnostics.Cases.Activation;

/// <summary>SiLU, GELU (erf and tanh forms) and SwiGLU with their derivatives, in f64 from their definitions.</summary>
public static class ActivationReference
{
    private const double SqrtTwoOverPi = 0.79788456080286535588, Cubic = 0.044715;

    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    public static double Forward(ActivationKind kind, double x) => kind switch
    {
        ActivationKind.Silu => x * Sigmoid(x),
        ActivationKind.Gelu => 0.5 * x * Erfc(-x / Math.Sqrt(2)),
        _ => 0.5 * x * (1 + Math.Tanh(SqrtTwoOverPi * (x + Cubic * x * x * x))),
    };

    public static double Derivative(ActivationKind kind, double x)
    {
        switch (kind)
        {
            case ActivationKind.Silu: { double s = Sigmoid(x); return s * (1 + x * (1 - s)); }
            case ActivationKind.Gelu: return 0.5 * Erfc(-x / Math.Sqrt(2)) + x * Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);
            default:
            {
                double u = SqrtTwoOverPi * (x + Cubic * x * x * x), th = Math.Tanh(u);
                return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * SqrtTwoOverPi * (1 + 3 * Cubic * x * x);
            }
        }
    }

    /// <summary>
    /// erfc in f64 to ~1e-15 relative: the Maclaurin series of erf for |x| &lt; 3, Laplace's continued fraction beyond
    /// (evaluated from the tail), and erfc(−x) = 2 − erfc(x).
    /// </summary>
    public static double Erfc(double x)
    {
        if (x < 0) return 2 - Erfc(-x);
        if (x < 3)
        {
            double term = x, sum = x;
            for (int n = 1; n < 200 && Math.Abs(term) > 1e-17 * Math.Abs(sum); n++)
            {
                term *= -x * x / n;
                sum += term / (2 * n + 1);
            }
            return 1 - 2 / Math.Sqrt(Math.PI) * sum;
        }
        // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
        double f = x;
        for (int k = 80; k >= 1; k--) f = x + k / 2.0 / f;
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }
}
