using Engine.Runtime.Cpu;

namespace Engine.Runtime.Cuda;

/// <summary>Inverted dropout on CUDA (kernels/dropout.cu): the same Philox keep mask as CpuDropout, bit for bit.</summary>
public sealed unsafe partial class CudaBackend
{
    /// <summary>f32 or bf16. The backward pass is the same call on dL/dy with the same (p, seed, offset).</summary>
    public Tensor Dropout(Tensor x, double p, ulong seed, ulong offset)
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout probability must be in [0, 1) for the kernel, got {p}.");
        x = x.Contiguous();
        var y = Like(x);
        // Threshold and scale prepared on the host exactly as the CPU kernel prepares them.
        uint threshold = CpuDropout.KeepThreshold(p);
        float scale = (float)(1.0 / (1.0 - p));
        long groups = (x.NumElements + 3) / 4; // one thread per Philox block of four words
        if (x.DType == DType.BF16)
            DropoutKernels.DropoutBf16(S, Grid.Elements(groups), P(x), P(y), x.NumElements, seed, offset, threshold, scale);
        else
        {
            RequireF32("Dropout", x);
            DropoutKernels.DropoutF32(S, Grid.Elements(groups), P(x), P(y), x.NumElements, seed, offset, threshold, scale);
        }
        return y;
    }
}
