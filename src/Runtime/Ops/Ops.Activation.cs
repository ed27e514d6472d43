namespace Engine.Runtime;

public static partial class Ops
{
    /// <summary>SiLU (swish): x·σ(x).</summary>
    public static Tensor Silu(Tensor x) => Activation(ActivationKind.Silu, x);

    /// <summary>GELU: the exact erf form x·Φ(x) by default (torch's approximate='none'), or the tanh approximation.</summary>
    public static Tensor Gelu(Tensor x, bool approximateTanh = false) => Activation(approximateTanh ? ActivationKind.GeluTanh : ActivationKind.Gelu, x);

    public static Tensor Activation(ActivationKind kind, Tensor x)
    {
        var be = Backend.Of(x);
        var xc = x.Contiguous();
        var y = be.Activation(kind, xc);
        return Autograd.Record(y, kind.ToString(), [xc], g => [be.ActivationBackward(kind, xc, g.Contiguous())]);
    }

    /// <summary>Fused SwiGLU of a gated MLP: silu(gate)·up, same shapes; gradients for both inputs.</summary>
    public static Tensor SwiGlu(Tensor gate, Tensor up)
    {
        if (!gate.Shape.SequenceEqual(up.Shape))
            throw new ArgumentException($"SwiGlu: gate {gate.ShapeString} and up {up.ShapeString} must have the same shape.");
        if (gate.DType != up.DType)
            throw new ArgumentException($"SwiGlu: gate is {gate.DType} but up is {up.DType}.");
        var be = Backend.Of(gate, up);
        var gc = gate.Contiguous(); var uc = up.Contiguous();
        var y = be.SwiGlu(gc, uc);
        return Autograd.Record(y, "SwiGlu", [gc, uc], g =>
        {
            var (dGate, dUp) = be.SwiGluBackward(gc, uc, g.Contiguous());
            return [gc.RequiresGrad ? dGate : null, uc.RequiresGrad ? dUp : null];
        });
    }
}
