namespace Engine.Runtime;

public partial interface IBackend
{
    /// <summary>Softmax (or log-softmax) of contiguous x along <paramref name="dim"/> (already normalised to [0, rank)).</summary>
    Tensor Softmax(Tensor x, int dim, bool log);
    /// <summary>dL/dx from the forward output y and dL/dy (contiguous).</summary>
    Tensor SoftmaxBackward(Tensor y, Tensor gy, int dim, bool log);
}
