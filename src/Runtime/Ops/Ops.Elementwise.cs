namespace Engine.Runtime;

/// <summary>
/// The backend-neutral op surface. Each op picks the backend from its inputs' device, runs the
/// forward there and records its backward on the autograd tape. Split by family into files.
/// </summary>
public static partial class Ops
{
    public static Tensor Add(Tensor a, Tensor b) => BinaryOp_(BinaryOp.Add, a, b);
    public static Tensor Sub(Tensor a, Tensor b) => BinaryOp_(BinaryOp.Sub, a, b);
    public static Tensor Mul(Tensor a, Tensor b) => BinaryOp_(BinaryOp.Mul, a, b);
    public static Tensor Div(Tensor a, Tensor b) => BinaryOp_(BinaryOp.Div, a, b);

    private static Tensor BinaryOp_(BinaryOp op, Tensor a, Tensor b)
    {
        var be = Backend.Of(a, b);
        var ac = a.Contiguous(); var bc = b.Contiguous();
        var y = be.Binary(op, ac, bc);
        return Autograd.Record(y, op.ToString(), [ac, bc], g =>
        {
            Tensor? ga = null, gb = null;
            switch (op)
            {
                case BinaryOp.Add: ga = g; gb = g; break;
                case BinaryOp.Sub: ga = g; gb = be.Affine(g.Contiguous(), -1, 0); break;
                case BinaryOp.Mul: ga = be.Binary(BinaryOp.Mul, g.Contiguous(), bc); gb = be.Binary(BinaryOp.Mul, g.Contiguous(), ac); break;
                case BinaryOp.Div:
                    ga = be.Binary(BinaryOp.Div, g.Contiguous(), bc);
                    // d(a/b)/db = −a/b² = −y/b
                    gb = be.Affine(be.Binary(BinaryOp.Div, be.Binary(BinaryOp.Mul, g.Contiguous(), y), bc), -1, 0);
                    break;
            }
            return [ac.RequiresGrad ? SumTo(ga!, ac.Shape) : null, bc.RequiresGrad ? SumTo(gb!, bc.Shape) : null];
        });
    }

    /// <summary>Reduce a broadcast gradient back to <paramref name="shape"/> (sum over expanded dims).</summary>
    public static Tensor SumTo(Tensor g, ReadOnlySpan<int> shape)
    {
        if (g.Shape.SequenceEqual(shape)) return g;
        int lead = g.Rank - shape.Length;
        var dims = new List<int>();
        for (int i = 0; i < g.Rank; i++)
            if (i < lead || (shape[i - lead] == 1 && g.Size(i) != 1)) dims.Add(i);
        var s = Backend.Of(g).Sum(g.Contiguous(), [.. dims], keepDim: true);
        return s.Reshape(shape.ToArray());
    }

    /// <summary>alpha·x + beta.</summary>
    public static Tensor Affine(Tensor x, double alpha, double beta = 0)
    {
        var be = Backend.Of(x);
        var y = be.Affine(x.Contiguous(), alpha, beta);
        return Autograd.Record(y, "Affine", [x], g => [be.Affine(g.Contiguous(), alpha, 0)]);
    }

    public static Tensor Scale(Tensor x, double s) => Affine(x, s, 0);
    public static Tensor AddScalar(Tensor x, double s) => Affine(x, 1, s);

    public static Tensor Neg(Tensor x) => Unary(UnaryOp.Neg, x);
    public static Tensor Exp(Tensor x) => Unary(UnaryOp.Exp, x);
    public static Tensor Log(Tensor x) => Unary(UnaryOp.Log, x);
    public static Tensor Sigmoid(Tensor x) => Unary(UnaryOp.Sigmoid, x);
    public static Tensor LogSigmoid(Tensor x) => Unary(UnaryOp.LogSigmoid, x);
    public static Tensor Tanh(Tensor x) => Unary(UnaryOp.Tanh, x);
    public static Tensor Relu(Tensor x) => Unary(UnaryOp.Relu, x);
    public static Tensor Sqrt(Tensor x) => Unary(UnaryOp.Sqrt, x);
    public static Tensor Square(Tensor x) => Unary(UnaryOp.Square, x);
    public static Tensor Abs(Tensor x) => Unary(UnaryOp.Abs, x);

    public static Tensor Unary(UnaryOp op, Tensor x)
    {
        var be = Backend.Of(x);
        var xc = x.Contiguous();
        var y = be.Unary(op, xc);
        return Autograd.Record(y, op.ToString(), [xc], g => [be.UnaryBackward(op, xc, y, g.Contiguous())]);
    }

    /// <summary>Sum of all elements (a scalar tensor).</summary>
    public static Tensor Sum(Tensor x) => Sum(x, Enumerable.Range(0, x.Rank).ToArray(), keepDim: false);

    public static Tensor Sum(Tensor x, int dim, bool keepDim = false) => Sum(x, [dim], keepDim);

    public static Tensor Sum(Tensor x, int[] dims, bool keepDim)
    {
        var be = Backend.Of(x);
        var nd = dims.Select(x.NormDim).Distinct().Order().ToArray();
        var xc = x.Contiguous();
        var y = be.Sum(xc, nd, keepDim);
        var kept = x.ShapeArray(); foreach (var d in nd) kept[d] = 1;
        var full = x.ShapeArray();
        return Autograd.Record(y, "Sum", [xc], g => [be.BroadcastTo(g.Contiguous().Reshape(kept), full)]);
    }

    public static Tensor Mean(Tensor x) => Scale(Sum(x), 1.0 / Math.Max(1, x.NumElements));

    public static Tensor Mean(Tensor x, int dim, bool keepDim = false) => Scale(Sum(x, dim, keepDim), 1.0 / x.Size(dim));
}
