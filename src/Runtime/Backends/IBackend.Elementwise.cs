namespace Engine.Runtime;

public enum BinaryOp { Add, Sub, Mul, Div }
public enum UnaryOp { Neg, Exp, Log, Sigmoid, LogSigmoid, Tanh, Relu, Sqrt, Square, Abs }

public partial interface IBackend
{
    /// <summary>Elementwise a∘b with numpy broadcasting (contiguous inputs).</summary>
    Tensor Binary(BinaryOp op, Tensor a, Tensor b);
    /// <summary>alpha·x + beta, elementwise.</summary>
    Tensor Affine(Tensor x, double alpha, double beta);
    Tensor Unary(UnaryOp op, Tensor x);
    /// <summary>dL/dx of a unary op from its input x, output y and dL/dy.</summary>
    Tensor UnaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gy);
    /// <summary>Sum over the given dimensions (sorted, distinct), keeping them as size 1 when keepDim.</summary>
    Tensor Sum(Tensor x, int[] dims, bool keepDim);
    /// <summary>Expand x (same rank, size-1 dims broadcast) to shape.</summary>
    Tensor BroadcastTo(Tensor x, int[] shape);
}
