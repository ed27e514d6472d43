namespace Engine.Runtime;

/// <summary>
/// The geometry of a 1-d convolution as torch.nn.Conv1d defines it (groups = 1): x [B, Cin, L], weight [Cout, Cin, K],
/// output [B, Cout, Lout] with Lout = ⌊(L + 2·padding − dilation·(K − 1) − 1) / stride⌋ + 1 and zero padding.
/// </summary>
public readonly record struct Conv1dGeometry(int Batch, int InChannels, int Length, int OutChannels, int KernelSize, int Stride, int Padding, int Dilation)
{
    public int OutLength => (Length + 2 * Padding - Dilation * (KernelSize - 1) - 1) / Stride + 1;

    /// <summary>Columns of the unfolded input (im2col): one per (input channel, tap), channel-major.</summary>
    public int Taps => InChannels * KernelSize;

    /// <summary>The input position tap <paramref name="k"/> of output position <paramref name="t"/> reads (may fall in the padding).</summary>
    public int InputIndex(int t, int k) => t * Stride - Padding + k * Dilation;

    public override string ToString() => $"[{Batch}, {InChannels}, {Length}] * [{OutChannels}, {InChannels}, {KernelSize}] s{Stride} p{Padding} d{Dilation}";
}

public static partial class Ops
{
    /// <summary>
    /// 1-d convolution (cross-correlation, as torch.nn.functional.conv1d with groups = 1): x [B, Cin, L], weight
    /// [Cout, Cin, K], optional bias [Cout] → [B, Cout, Lout]. Gradients for x, weight and bias.
    /// </summary>
    public static Tensor Conv1d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1)
    {
        var g = Conv1dCheck(x, weight, bias, stride, padding, dilation);
        var be = Backend.Of(x, weight, bias);
        var xc = x.Contiguous(); var wc = AsDTypeOf(weight, xc).Contiguous(); var bc = bias is null ? null : AsDTypeOf(bias, xc).Contiguous();
        var y = be.Conv1d(xc, wc, bc, g);
        var inputs = bc is null ? new[] { xc, wc } : new[] { xc, wc, bc };
        return Autograd.Record(y, "Conv1d", inputs, gy =>
        {
            var gyc = gy.Contiguous();
            var gx = xc.RequiresGrad ? be.Conv1dBackwardInput(gyc, wc, g) : null;
            var gw = wc.RequiresGrad ? be.Conv1dBackwardWeight(xc, gyc, g) : null;
            if (bc is null) return [gx, gw];
            return [gx, gw, bc.RequiresGrad ? be.Conv1dBackwardBias(gyc, g) : null];
        });
    }

    private static Conv1dGeometry Conv1dCheck(Tensor x, Tensor w, Tensor? bias, int stride, int padding, int dilation)
    {
        string Shapes() => $"x {x.ShapeString}, weight {w.ShapeString}{(bias is null ? "" : $", bias {bias.ShapeString}")}";
        if (x.Rank != 3 || w.Rank != 3) throw new ArgumentException($"Conv1d needs x [B, Cin, L] and weight [Cout, Cin, K]; got {Shapes()}.");
        if (w.Size(1) != x.Size(1)) throw new ArgumentException($"Conv1d: weight expects {w.Size(1)} input channels, x has {x.Size(1)} ({Shapes()}).");
        if (bias is not null && (bias.Rank != 1 || bias.Size(0) != w.Size(0))) throw new ArgumentException($"Conv1d: bias must be [{w.Size(0)}] ({Shapes()}).");
        if (stride < 1 || padding < 0 || dilation < 1) throw new ArgumentException($"Conv1d: stride {stride} and dilation {dilation} must be ≥ 1 and padding {padding} ≥ 0.");
        var g = new Conv1dGeometry(x.Size(0), x.Size(1), x.Size(2), w.Size(0), w.Size(2), stride, padding, dilation);
        if (g.KernelSize < 1 || g.Length + 2 * padding - dilation * (g.KernelSize - 1) - 1 < 0)
            throw new ArgumentException($"Conv1d: the input is shorter than the (dilated) kernel: {g}.");
        return g;
    }
}
