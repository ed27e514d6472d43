namespace Engine.Runtime.Cuda;

/// <summary>Raw Philox words on CUDA (kernels/rng.cu), twin of Philox.Fill on the CPU (Cpu/Rng).</summary>
public sealed unsafe partial class CudaBackend
{
    public Tensor PhiloxWords(int[] shape, ulong seed, ulong offset)
    {
        var y = New(shape, DType.I32);
        if (y.NumElements > 0) RngKernels.PhiloxWords(S, Grid.Elements(y.NumElements), seed, offset, P(y), y.NumElements);
        return y;
    }
}
