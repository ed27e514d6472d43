namespace Engine.Runtime;

/// <summary>Pointwise activations of transformer MLPs.</summary>
public enum ActivationKind
{
    /// <summary>x·σ(x).</summary>
    Silu,
    /// <summary>Exact GELU, x·Φ(x) = ½x(1 + erf(x/√2)).</summary>
    Gelu,
    /// <summary>GELU, tanh approximation ½x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    GeluTanh,
}

public partial interface IBackend
{
    /// <summary>y = act(x), elementwise (contiguous x).</summary>
    Tensor Activation(ActivationKind kind, Tensor x);
    /// <summary>dL/dx = act'(x)·dL/dy, recomputed from x.</summary>
    Tensor ActivationBackward(ActivationKind kind, Tensor x, Tensor gy);
    /// <summary>Fused SwiGLU: silu(gate)·up (same shapes, contiguous).</summary>
    Tensor SwiGlu(Tensor gate, Tensor up);
    /// <summary>Gradients of <see cref="SwiGlu"/> with respect to gate and up.</summary>
    (Tensor dGate, Tensor dUp) SwiGluBackward(Tensor gate, Tensor up, Tensor gy);
}
