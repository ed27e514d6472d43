namespace Engine.Runtime.Cuda;

/// <summary>Softmax and log-softmax over the last dim on CUDA (kernels/softmax.cu), twins of CpuSoftmax; f32, one block per row.</summary>
public sealed unsafe partial class CudaBackend
{
    public Tensor Softmax(Tensor x, int dim, bool log)
    {
        RequireF32("Softmax", x);
        if (dim != x.Rank - 1) throw Missing("Softmax", "only along the last dimension");
        var y = Like(x);
        long rows = x.Size(-1) == 0 ? 0 : x.NumElements / x.Size(-1);
        if (rows > 0) SoftmaxKernels.SoftmaxFwdF32(S, Grid.Blocks(rows), P(x), P(y), x.Size(-1), log ? 1 : 0);
        return y;
    }

    public Tensor SoftmaxBackward(Tensor y, Tensor gy, int dim, bool log)
    {
        RequireF32("SoftmaxBackward", y, gy);
        if (dim != y.Rank - 1) throw Missing("SoftmaxBackward", "only along the last dimension");
        var gx = Like(y);
        long rows = y.Size(-1) == 0 ? 0 : y.NumElements / y.Size(-1);
        if (rows > 0) SoftmaxKernels.SoftmaxBwdF32(S, Grid.Blocks(rows), P(y), P(gy), P(gx), y.Size(-1), log ? 1 : 0);
        return gx;
    }
}
