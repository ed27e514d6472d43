using Engine.Diagnostics.OpCases;
using Engine.Runtime;
using static Engine.Diagnostics.Cases.CaseKit;

namespace Engine.Diagnostics.Cases.Softmax;

/// <summary>Softmax and log-softmax over the last dim, forward and backward (kernels/softmax.cu).</summary>
public static class SoftmaxCases
{
    public static IEnumerable<OpCase> All()
    {
        foreach (var (n, d) in new[] { (3, 37), (17, 1000), (5, 4099) })
            foreach (var log in new[] { false, true })
                yield return Softmax(n, d, log);
    }

    private static OpCase Softmax(int n, int d, bool log)
    {
        string name = log ? "log_softmax" : "softmax";
        return new OpCase
        {
            Family = "Softmax", Name = name, Shape = Dims(n, d), Op = BackendOp.Softmax, DType = DType.F32,
            Inputs = s => [N(s, n, d), N(s + 1, n, d)],
            Run = t =>
            {
                var be = Be(t);
                var y = be.Softmax(t[0], 1, log);
                return [Rel($"{name}.fwd", y), Rel($"{name}.bwd", be.SoftmaxBackward(y, t[1], 1, log))];
            },
            Reference = t =>
            {
                var (y, gx) = SoftmaxReference.Rows(D(t[0]), D(t[1]), d, log);
                return [Ref($"{name}.fwd", y), Ref($"{name}.bwd", gx)];
            },
            Gradient = n == 3 ? new Gradient(x => log ? Ops.LogSoftmax(x[0], -1) : Ops.Softmax(x[0], -1), [0]) : null,
        };
    }
}

/// <summary>Softmax rows and their gradients as plain f64 loops.</summary>
public static class SoftmaxReference
{
    /// <summary>y = softmax (or log-softmax) of each row; gx = y∘(gy − Σ gy∘y), or gy − softmax·Σ gy for log-softmax.</summary>
    public static (double[] y, double[] gx) Rows(double[] x, double[] gy, int d, bool log)
    {
        var y = new double[x.Length]; var gx = new double[x.Length];
        for (int r = 0; r < x.Length / d; r++)
        {
            double m = double.NegativeInfinity, z = 0;
            for (int i = 0; i < d; i++) m = Math.Max(m, x[r * d + i]);
            for (int i = 0; i < d; i++) z += Math.Exp(x[r * d + i] - m);
            double dot = 0, sum = 0;
            for (int i = 0; i < d; i++)
            {
                double p = Math.Exp(x[r * d + i] - m) / z;
                y[r * d + i] = log ? x[r * d + i] - m - Math.Log(z) : p;
                dot += gy[r * d + i] * p; sum += gy[r * d + i];
            }
            for (int i = 0; i < d; i++)
            {
                double p = Math.Exp(x[r * d + i] - m) / z;
                gx[r * d + i] = log ? gy[r * d + i] - p * sum : p * (gy[r * d + i] - dot);
            }
        }
        return (y, gx);
    }
}
