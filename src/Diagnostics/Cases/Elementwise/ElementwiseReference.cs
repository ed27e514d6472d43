using Engine.Runtime;

namespace Engine.Diagnostics.Cases.Elementwise;

/// <summary>The elementwise ops as textbook formulas in f64, and roundings written from their definition (nearest, ties to even).</summary>
public static class ElementwiseReference
{
    public static double[] Binary(BinaryOp op, double[] a, double[] b) => a.Select((x, i) => op switch
    {
        BinaryOp.Add => x + b[i], BinaryOp.Sub => x - b[i], BinaryOp.Mul => x * b[i], _ => x / b[i],
    }).ToArray();

    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    public static double Unary(UnaryOp op, double x) => op switch
    {
        UnaryOp.Neg => -x,
        UnaryOp.Exp => Math.Exp(x),
        UnaryOp.Log => Math.Log(x),
        UnaryOp.Sigmoid => Sigmoid(x),
        UnaryOp.LogSigmoid => -Math.Log(1 + Math.Exp(-x)),
        UnaryOp.Tanh => Math.Tanh(x),
        UnaryOp.Relu => Math.Max(x, 0),
        UnaryOp.Sqrt => Math.Sqrt(x),
        UnaryOp.Square => x * x,
        _ => Math.Abs(x),
    };

    /// <summary>d op(x) / dx.</summary>
    public static double UnaryDerivative(UnaryOp op, double x) => op switch
    {
        UnaryOp.Neg => -1,
        UnaryOp.Exp => Math.Exp(x),
        UnaryOp.Log => 1 / x,
        UnaryOp.Sigmoid => Sigmoid(x) * (1 - Sigmoid(x)),
        UnaryOp.LogSigmoid => Sigmoid(-x),
        UnaryOp.Tanh => 1 - Math.Tanh(x) * Math.Tanh(x),
        UnaryOp.Relu => x > 0 ? 1 : 0,
        UnaryOp.Sqrt => 0.5 / Math.Sqrt(x),
        UnaryOp.Square => 2 * x,
        _ => Math.Sign(x),
    };

    /// <summary>Sum of a contiguous tensor of <paramref name="shape"/> over <paramref name="dims"/>, kept as size 1.</summary>
    public static double[] Sum(double[] x, int[] shape, int[] dims)
    {
        var kept = shape.Select((n, i) => dims.Contains(i) ? 1 : n).ToArray();
        var y = new double[kept.Aggregate(1, (a, b) => a * b)];
        var idx = new int[shape.Length];
        for (int flat = 0; flat < x.Length; flat++)
        {
            int r = flat;
            for (int d = shape.Length - 1; d >= 0; d--) { idx[d] = r % shape[d]; r /= shape[d]; }
            int o = 0;
            for (int d = 0; d < shape.Length; d++) o = o * kept[d] + (dims.Contains(d) ? 0 : idx[d]);
            y[o] += x[flat];
        }
        return y;
    }

    /// <summary>x rounded to a float with <paramref name="mantissaBits"/> bits after the leading one, nearest with ties to even,
    /// exponent at least <paramref name="minExponent"/> (below it: the subnormal spacing). Overflow is the caller's.</summary>
    private static double Round(double x, int mantissaBits, int minExponent)
    {
        if (x == 0 || !double.IsFinite(x)) return x;
        int e = Math.Max(Math.ILogB(x), minExponent);
        double quantum = Math.ScaleB(1.0, e - mantissaBits);
        return Math.Round(x / quantum, MidpointRounding.ToEven) * quantum;
    }

    public static float RoundToBf16(float x) => (float)Round(x, 7, -126);

    /// <summary>IEEE half: 10 mantissa bits, subnormals below 2⁻¹⁴, ±inf past 65504.</summary>
    public static double RoundToF16(double x)
    {
        double r = Round(x, 10, -14);
        return Math.Abs(r) > 65504 ? Math.CopySign(double.PositiveInfinity, x) : r;
    }

    /// <summary>The value of IEEE half bits (non-NaN): sign, 5-bit exponent biased by 15, 10-bit fraction, subnormals.</summary>
    public static double F16Value(ushort bits)
    {
        int sign = bits >> 15, e = (bits >> 10) & 0x1f, m = bits & 0x3ff;
        double v = e == 0x1f ? double.PositiveInfinity : e == 0 ? m * Math.ScaleB(1.0, -24) : (1 + m / 1024.0) * Math.ScaleB(1.0, e - 15);
        return sign == 1 ? -v : v;
    }
}
