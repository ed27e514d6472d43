using Engine.Diagnostics.OpCases;
using Engine.Runtime;
using static Engine.Diagnostics.Cases.CaseKit;

namespace Engine.Diagnostics.Cases.Rope;

/// <summary>Rotary embedding on a strided [B, H, T, D] view (as the model makes it), forward and transposed, full and partial (kernels/rope.cu).</summary>
public static class RopeCases
{
    public static IEnumerable<OpCase> All()
    {
        foreach (var r in new[] { 16, 8 })
            foreach (var transpose in new[] { false, true })
                yield return Rope(r, transpose);
    }

    private static OpCase Rope(int r, bool transpose)
    {
        string row = $"rope.{(transpose ? "bwd" : "fwd")} R={r}";
        return new OpCase
        {
            Family = "Rope", Name = row, Shape = "[2, 3, 7, 16]", Op = BackendOp.Rope, DType = DType.F32,
            // x stored as [B, T, H, D] and viewed as [B, H, T, D]; tables [B, T, R].
            Inputs = s => [N(s, 2, 7, 3, 16), N(s + 1, 2, 7, r), N(s + 2, 2, 7, r)],
            Run = t => [Rel(row, Be(t).Rope(t[0].Transpose(1, 2), t[1], t[2], transpose))],
            Reference = t => [Ref(row, RopeReference.Apply(D(t[0]), D(t[1]), D(t[2]), r, transpose))],
            Gradient = !transpose ? new Gradient(x => Ops.Rope(x[0].Transpose(1, 2), x[1], x[2]), [0]) : null,
        };
    }
}

/// <summary>HF "rotate_half" RoPE as plain loops: y = x·cos + rotate_half(x)·sin on the first R dims; the transposed map for the backward.</summary>
public static class RopeReference
{
    /// <param name="x">[2, 7, 3, 16] stored as [B, T, H, D]; the output is [B, H, T, D] contiguous.</param>
    public static double[] Apply(double[] x, double[] cos, double[] sin, int r, bool transpose)
    {
        const int B = 2, T = 7, H = 3, D = 16;
        var y = new double[B * H * T * D];
        int half = r / 2;
        for (int b = 0; b < B; b++) for (int h = 0; h < H; h++) for (int t = 0; t < T; t++)
        {
            double X(int c) => x[((b * T + t) * H + h) * D + c];
            double C(int c) => cos[(b * T + t) * r + c];
            double S(int c) => sin[(b * T + t) * r + c];
            for (int c = 0; c < D; c++)
            {
                double v;
                if (c >= r) v = X(c);
                else if (!transpose) v = X(c) * C(c) + (c < half ? -X(c + half) : X(c - half)) * S(c);
                else v = X(c) * C(c) + (c < half ? X(c + half) * S(c + half) : -X(c - half) * S(c - half));
                y[((b * H + h) * T + t) * D + c] = v;
            }
        }
        return y;
    }
}
