namespace Engine.Runtime;

public static partial class Ops
{
    /// <summary>Softmax along <paramref name="dim"/> (any dim; the last dim is the fast path).</summary>
    public static Tensor Softmax(Tensor x, int dim = -1) => SoftmaxOp(x, dim, log: false);

    /// <summary>Log-softmax along <paramref name="dim"/>, computed stably as (x − max) − log Σ exp(x − max).</summary>
    public static Tensor LogSoftmax(Tensor x, int dim = -1) => SoftmaxOp(x, dim, log: true);

    private static Tensor SoftmaxOp(Tensor x, int dim, bool log)
    {
        if (x.Rank == 0) throw new ArgumentException($"{(log ? "LogSoftmax" : "Softmax")} needs x of rank ≥ 1, got a scalar.");
        int d = x.NormDim(dim);
        var be = Backend.Of(x);
        var xc = x.Contiguous();
        var y = be.Softmax(xc, d, log);
        return Autograd.Record(y, log ? "LogSoftmax" : "Softmax", [xc], g => [be.SoftmaxBackward(y, g.Contiguous(), d, log)]);
    }
}
