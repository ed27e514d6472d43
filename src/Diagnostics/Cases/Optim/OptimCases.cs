using Engine.Diagnostics.OpCases;
using Engine.Runtime;
using static Engine.Diagnostics.Cases.CaseKit;

namespace Engine.Diagnostics.Cases.Optim;

/// <summary>AdamW (one tensor, and many in one launch) and gradient clipping's squared norm and scaling (kernels/optim.cu).</summary>
public static class OptimCases
{
    private const string Family = "Optim";
    private const double Lr = 1e-2, Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8, Wd = 0.1;

    public static IEnumerable<OpCase> All() => [AdamW(), AdamWMany(), SumOfSquares(), ScaleInPlace()];

    /// <summary>Three steps from zero moments; the inputs are the parameter and the three gradients.</summary>
    private static OpCase AdamW() => new()
    {
        Family = Family, Name = "adamw (3 steps)", Shape = "[7, 129]", Op = BackendOp.AdamW, DType = DType.F32,
        Inputs = s => [N(s, 7, 129), N(s + 1, 7, 129), N(s + 2, 7, 129), N(s + 3, 7, 129)],
        Run = t =>
        {
            var be = Be(t);
            var (p, m, v) = (t[0].Clone(), Tensor.Zeros([7, 129], DType.F32, t[0].Device), Tensor.Zeros([7, 129], DType.F32, t[0].Device));
            for (int step = 1; step <= 3; step++) be.AdamWStep(p, t[step], m, v, Lr, Beta1, Beta2, Eps, Wd, step);
            return [Rel("adamw (3 steps)", p)];
        },
        Reference = t => [Ref("adamw (3 steps)", OptimReference.AdamW(D(t[0]), [D(t[1]), D(t[2]), D(t[3])], Lr, Beta1, Beta2, Eps, Wd))],
    };

    private static readonly int[] ManySizes = [1, 37, 65_536 + 4099, 1000];

    /// <summary>Several tensors in one launch (several chunks for the large one) against per-tensor steps on the CPU.</summary>
    private static OpCase AdamWMany() => new()
    {
        Family = Family, Name = "adamw multi-tensor (3 steps)", Shape = "4 tensors", Op = BackendOp.AdamWMany, DType = DType.F32,
        // Per tensor: the parameter, then its three gradients.
        Inputs = s => ManySizes.SelectMany((n, i) => Enumerable.Range(0, 4).Select(j => N(s + (ulong)(10 * i + j), n))).ToArray(),
        Run = t =>
        {
            var be = Be(t);
            var state = ManySizes.Select((n, i) => (p: t[4 * i].Clone(), m: Tensor.Zeros([n], DType.F32, t[0].Device), v: Tensor.Zeros([n], DType.F32, t[0].Device))).ToArray();
            for (int step = 1; step <= 3; step++)
                be.AdamWStepMany(state.Select((x, i) => new AdamWTensors(x.p, t[4 * i + step], x.m, x.v)).ToArray(), Lr, Beta1, Beta2, Eps, Wd, step);
            return state.Select((x, i) => Rel("adamw multi-tensor (3 steps)", x.p, shape: $"[{ManySizes[i]}] of {ManySizes.Length}")).ToArray();
        },
        // The CPU answer is per-tensor steps: the multi-tensor launch must do exactly AdamWStep's math.
        Expected = t =>
        {
            var outputs = new List<Output>();
            for (int i = 0; i < ManySizes.Length; i++)
            {
                int n = ManySizes[i];
                var (p, m, v) = (t[4 * i].Clone(), Tensor.Zeros([n]), Tensor.Zeros([n]));
                for (int step = 1; step <= 3; step++) Backend.Cpu.AdamWStep(p, t[4 * i + step], m, v, Lr, Beta1, Beta2, Eps, Wd, step);
                outputs.Add(Rel("adamw multi-tensor (3 steps)", p, shape: $"[{n}] of {ManySizes.Length}"));
            }
            return outputs;
        },
    };

    private static OpCase SumOfSquares() => new()
    {
        Family = Family, Name = "sum_of_squares", Shape = "[7, 129]", Op = BackendOp.SumOfSquares, DType = DType.F32,
        Inputs = s => [N(s, 7, 129)],
        Run = t => [Rel("sum_of_squares", Host([Be(t).SumOfSquares(t[0])]))],
        Reference = t => [Ref("sum_of_squares", [D(t[0]).Sum(x => x * x)])],
    };

    private static OpCase ScaleInPlace() => new()
    {
        Family = Family, Name = "scale_in_place", Shape = "[4099]", Op = BackendOp.ScaleInPlace, DType = DType.F32,
        Inputs = s => [N(s, 4099)],
        Run = t => { var x = t[0].Clone(); Be(t).ScaleInPlace(x, 0.37); return [Rel("scale_in_place", x, 1e-6)]; },
        Reference = t => [Ref("scale_in_place", D(t[0]).Select(v => v * 0.37).ToArray(), 1e-6)],
    };
}

/// <summary>torch.optim.AdamW's update written out in f64 (decoupled weight decay, bias-corrected moments).</summary>
public static class OptimReference
{
    /// <summary>The parameter after one step per gradient in <paramref name="grads"/>, from zero moments.</summary>
    public static double[] AdamW(double[] p0, double[][] grads, double lr, double beta1, double beta2, double eps, double wd)
    {
        var p = (double[])p0.Clone();
        var m = new double[p.Length]; var v = new double[p.Length];
        for (int t = 1; t <= grads.Length; t++)
        {
            var g = grads[t - 1];
            for (int i = 0; i < p.Length; i++)
            {
                p[i] *= 1 - lr * wd;
                m[i] = beta1 * m[i] + (1 - beta1) * g[i];
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
                double mHat = m[i] / (1 - Math.Pow(beta1, t)), vHat = v[i] / (1 - Math.Pow(beta2, t));
                p[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
        }
        return p;
    }
}
