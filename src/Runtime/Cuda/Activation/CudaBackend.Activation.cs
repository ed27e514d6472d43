namespace Engine.Runtime.Cuda;

/// <summary>SiLU, GELU (exact and tanh) and the fused SwiGLU on CUDA (kernels/activation.cu), twins of CpuActivation: f32, plus a bf16 forward.</summary>
public sealed unsafe partial class CudaBackend
{
    public Tensor Activation(ActivationKind kind, Tensor x)
    {
        CheckKind(kind);
        x = x.Contiguous();
        var y = Like(x);
        if (x.DType == DType.BF16) ActivationKernels.ActivationFwdBf16(S, Grid.Elements(x.NumElements), (int)kind, P(x), P(y), x.NumElements);
        else
        {
            RequireF32(kind.ToString(), x);
            ActivationKernels.ActivationFwdF32(S, Grid.Elements(x.NumElements), (int)kind, P(x), P(y), x.NumElements);
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
        ActivationKernels.ActivationBwdF32(S, Grid.Elements(x.NumElements), (int)kind, P(x), P(gy), P(gx), x.NumElements);
        return gx;
    }

    public Tensor SwiGlu(Tensor gate, Tensor up)
    {
        RequireF32("SwiGlu", gate, up);
        var y = Like(gate);
        ActivationKernels.SwigluFwdF32(S, Grid.Elements(gate.NumElements), P(gate), P(up), P(y), gate.NumElements);
        return y;
    }

    public (Tensor dGate, Tensor dUp) SwiGluBackward(Tensor gate, Tensor up, Tensor gy)
    {
        RequireF32("SwiGluBackward", gate, up, gy);
        var dg = Like(gate); var du = Like(up);
        ActivationKernels.SwigluBwdF32(S, Grid.Elements(gate.NumElements), P(gate), P(up), P(gy), P(dg), P(du), gate.NumElements);
        return (dg, du);
    }

    // The kernel's switch knows exactly these three values.
    private static void CheckKind(ActivationKind kind)
    {
        if (kind is not (ActivationKind.Silu or ActivationKind.Gelu or ActivationKind.GeluTanh)) throw Missing(kind.ToString());
    }
}
