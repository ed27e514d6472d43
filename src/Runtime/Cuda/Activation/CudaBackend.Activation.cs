namespace Engine.Runtime.Cuda;

/// <summary>SiLU and GELU (exact and tanh) on CUDA (kernels/activation.cu), twins of CpuActivation: f32, plus a bf16 forward.</summary>
public sealed unsafe partial class CudaBackend
{
    public Tensor Activation(ActivationKind kind, Tensor x)
    {
        CheckKind(kind);
        x = x.Contiguous();
        var y = Like(x);
        if (x.DType == DType.BF16) Launch1D("activation.cu", "activation_fwd_bf16", x.NumElements, (int)kind, P(x), P(y), x.NumElements);
        else
        {
            RequireF32(kind.ToString(), x);
            Launch1D("activation.cu", "activation_fwd_f32", x.NumElements, (int)kind, P(x), P(y), x.NumElements);
        }
        return y;
    }

    public Tensor ActivationBackward(ActivationKind kind, Tensor x, Tensor gy)
    {
        CheckKind(kind);
        RequireF32(kind + "Backward", x, gy);
        if (!x.Shape.SequenceEqual(gy.Shape)) throw new ArgumentException($"{kind}Backward: shapes {x.ShapeString} and {gy.ShapeString} must be equal.");
        x = x.Contiguous(); gy = gy.Contiguous();
        var gx = Like(x);
        Launch1D("activation.cu", "activation_bwd_f32", x.NumElements, (int)kind, P(x), P(gy), P(gx), x.NumElements);
        return gx;
    }

    // The kernel's switch knows exactly these three values.
    private static void CheckKind(ActivationKind kind)
    {
        if (kind is not (ActivationKind.Silu or ActivationKind.Gelu or ActivationKind.GeluTanh)) throw Missing(kind.ToString());
    }
}
