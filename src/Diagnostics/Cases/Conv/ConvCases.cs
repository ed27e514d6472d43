using Engine.Diagnostics.OpCases;
using Engine.Runtime;
using static Engine.Diagnostics.Cases.CaseKit;

namespace Engine.Diagnostics.Cases.Conv;

/// <summary>
/// Conv1d (kernels/conv.cu + the backend's GEMM): forward with and without bias and every gradient, on Whisper's two
/// convolutions (k3 p1, stride 1 then 2), a dilated one, and a kernel as long as the input where taps reach past both ends.
/// </summary>
public static class ConvCases
{
    private static readonly Conv1dGeometry[] Geometries =
    [
        new(2, 13, 50, 24, 3, 1, 1, 1), new(2, 24, 50, 24, 3, 2, 1, 1),
        new(3, 5, 37, 7, 5, 3, 4, 2), new(1, 1, 9, 2, 9, 1, 0, 1),
    ];

    public static IEnumerable<OpCase> All()
    {
        foreach (var g in Geometries)
        {
            yield return Forward(g, bias: true);
            yield return Forward(g, bias: false);
            yield return BackwardInput(g);
            yield return BackwardWeight(g);
            yield return BackwardBias(g);
        }
    }

    private static Tensor X(ulong s, Conv1dGeometry g) => N(s, g.Batch, g.InChannels, g.Length);
    private static Tensor W(ulong s, Conv1dGeometry g) => N(s + 1, g.OutChannels, g.InChannels, g.KernelSize);
    private static Tensor B(ulong s, Conv1dGeometry g) => N(s + 2, g.OutChannels);
    private static Tensor Gy(ulong s, Conv1dGeometry g) => N(s + 3, g.Batch, g.OutChannels, g.OutLength);
    private static double Flops(Conv1dGeometry g) => 2.0 * g.Batch * g.OutLength * g.OutChannels * g.Taps;

    private static OpCase Forward(Conv1dGeometry g, bool bias)
    {
        string row = bias ? "conv1d.fwd" : "conv1d.fwd.nobias";
        return new OpCase
        {
            Family = "Conv", Name = row, Shape = g.ToString(), Op = BackendOp.Conv1d, DType = DType.F32, Flops = Flops(g),
            Inputs = s => bias ? [X(s, g), W(s, g), B(s, g)] : [X(s, g), W(s, g)],
            Run = t => [Rel(row, Be(t).Conv1d(t[0], t[1], bias ? t[2] : null, g))],
            Reference = t => [Ref(row, Conv1dReference.Forward(D(t[0]), D(t[1]), bias ? D(t[2]) : null, g))],
            Gradient = new Gradient(x => Ops.Conv1d(x[0], x[1], bias ? x[2] : null, g.Stride, g.Padding, g.Dilation), bias ? [0, 1, 2] : [0, 1]),
        };
    }

    private static OpCase BackwardInput(Conv1dGeometry g) => new()
    {
        Family = "Conv", Name = "conv1d.bwd.x", Shape = g.ToString(), Op = BackendOp.Conv1dBackwardInput, DType = DType.F32, Flops = Flops(g),
        Inputs = s => [Gy(s, g), W(s, g)],
        Run = t => [Rel("conv1d.bwd.x", Be(t).Conv1dBackwardInput(t[0], t[1], g))],
        Reference = t => [Ref("conv1d.bwd.x", Conv1dReference.BackwardInput(D(t[0]), D(t[1]), g))],
    };

    private static OpCase BackwardWeight(Conv1dGeometry g) => new()
    {
        Family = "Conv", Name = "conv1d.bwd.w", Shape = g.ToString(), Op = BackendOp.Conv1dBackwardWeight, DType = DType.F32, Flops = Flops(g),
        Inputs = s => [X(s, g), Gy(s, g)],
        Run = t => [Rel("conv1d.bwd.w", Be(t).Conv1dBackwardWeight(t[0], t[1], g))],
        Reference = t => [Ref("conv1d.bwd.w", Conv1dReference.BackwardWeight(D(t[0]), D(t[1]), g))],
    };

    private static OpCase BackwardBias(Conv1dGeometry g) => new()
    {
        Family = "Conv", Name = "conv1d.bwd.b", Shape = g.ToString(), Op = BackendOp.Conv1dBackwardBias, DType = DType.F32,
        Inputs = s => [Gy(s, g)],
        Run = t => [Rel("conv1d.bwd.b", Be(t).Conv1dBackwardBias(t[0], g))],
        Reference = t => [Ref("conv1d.bwd.b", Conv1dReference.BackwardBias(D(t[0]), g))],
    };
}

/// <summary>torch.nn.Conv1d (groups = 1) and its gradients as plain loops: y[b,o,t] = bias[o] + Σ_c Σ_k w[o,c,k]·x[b,c,t·s − p + k·d].</summary>
public static class Conv1dReference
{
    private static IEnumerable<(int b, int o, int t, int c, int k, int l)> Taps(Conv1dGeometry g)
    {
        for (int b = 0; b < g.Batch; b++)
            for (int o = 0; o < g.OutChannels; o++)
                for (int t = 0; t < g.OutLength; t++)
                    for (int c = 0; c < g.InChannels; c++)
                        for (int k = 0; k < g.KernelSize; k++)
                        {
                            int l = g.InputIndex(t, k);
                            if (l >= 0 && l < g.Length) yield return (b, o, t, c, k, l);
                        }
    }

    private static int Xi(Conv1dGeometry g, int b, int c, int l) => (b * g.InChannels + c) * g.Length + l;
    private static int Wi(Conv1dGeometry g, int o, int c, int k) => (o * g.InChannels + c) * g.KernelSize + k;
    private static int Yi(Conv1dGeometry g, int b, int o, int t) => (b * g.OutChannels + o) * g.OutLength + t;

    public static double[] Forward(double[] x, double[] w, double[]? bias, Conv1dGeometry g)
    {
        var y = new double[g.Batch * g.OutChannels * g.OutLength];
        if (bias is not null)
            for (int b = 0; b < g.Batch; b++) for (int o = 0; o < g.OutChannels; o++) for (int t = 0; t < g.OutLength; t++) y[Yi(g, b, o, t)] = bias[o];
        foreach (var (b, o, t, c, k, l) in Taps(g)) y[Yi(g, b, o, t)] += w[Wi(g, o, c, k)] * x[Xi(g, b, c, l)];
        return y;
    }

    public static double[] BackwardInput(double[] gy, double[] w, Conv1dGeometry g)
    {
        var gx = new double[g.Batch * g.InChannels * g.Length];
        foreach (var (b, o, t, c, k, l) in Taps(g)) gx[Xi(g, b, c, l)] += w[Wi(g, o, c, k)] * gy[Yi(g, b, o, t)];
        return gx;
    }

    public static double[] BackwardWeight(double[] x, double[] gy, Conv1dGeometry g)
    {
        var gw = new double[g.OutChannels * g.InChannels * g.KernelSize];
        foreach (var (b, o, t, c, k, l) in Taps(g)) gw[Wi(g, o, c, k)] += x[Xi(g, b, c, l)] * gy[Yi(g, b, o, t)];
        return gw;
    }

    public static double[] BackwardBias(double[] gy, Conv1dGeometry g)
    {
        var gb = new double[g.OutChannels];
        for (int b = 0; b < g.Batch; b++) for (int o = 0; o < g.OutChannels; o++) for (int t = 0; t < g.OutLength; t++) gb[o] += gy[Yi(g, b, o, t)];
        return gb;
    }
}
