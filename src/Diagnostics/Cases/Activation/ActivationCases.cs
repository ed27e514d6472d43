using Engine.Diagnostics.OpCases;
using Engine.Runtime;
using static Engine.Diagnostics.Cases.CaseKit;

namespace Engine.Diagnostics.Cases.Activation;

/// <summary>SiLU and GELU forward (f32, bf16) and backward, SwiGLU forward and backward (kernels/activation.cu).</summary>
public static class ActivationCases
{
    private const string Family = "Activation";

    public static IEnumerable<OpCase> All()
    {
        foreach (var kind in new[] { ActivationKind.Silu, ActivationKind.Gelu, ActivationKind.GeluTanh })
        {
            yield return Activation(kind);
            yield return ActivationBf16(kind);
            yield return Autograd(kind);
        }
        yield return SwiGlu();
        yield return SwiGluBackward();
    }

    private static string Name(ActivationKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>std 3: both tails (erfc ≈ 0 and ≈ 2, tanh saturated) as well as the middle.</summary>
    private static OpCase Activation(ActivationKind kind) => new()
    {
        Family = Family, Name = Name(kind), Shape = "[17,1000]", Op = BackendOp.Activation, DType = DType.F32,
        Inputs = s => [N(s, 3.0, 17, 1000), N(s + 1, 17, 1000)],
        Run = t => [Rel($"{Name(kind)}.fwd", Be(t).Activation(kind, t[0])), Rel($"{Name(kind)}.bwd", Be(t).ActivationBackward(kind, t[0], t[1]))],
        Reference = t => [Ref($"{Name(kind)}.fwd", D(t[0]).Select(x => ActivationReference.Forward(kind, x)).ToArray()),
            Ref($"{Name(kind)}.bwd", D(t[0]).Zip(D(t[1]), (x, g) => ActivationReference.Derivative(kind, x) * g).ToArray())],
    };

    private static OpCase ActivationBf16(ActivationKind kind) => new()
    {
        Family = Family, Name = Name(kind) + " bf16", Shape = "[5,4099]", Op = BackendOp.Activation, DType = DType.BF16,
        Inputs = s => [Bf16(N(s, 3.0, 5, 4099))],
        Run = t => { var y = Be(t).Activation(kind, t[0]); return [Rel($"{Name(kind)}.fwd bf16", y.DType == t[0].DType ? y : Tensor.Scalar(double.NaN), Check.Half)]; },
        Reference = t => [Ref($"{Name(kind)}.fwd bf16", D(t[0]).Select(x => ActivationReference.Forward(kind, x)).ToArray())],
    };

    /// <summary>Ops' recorded backward end to end on [6, 301] (std 2), and the f64 gradient check of the same op.</summary>
    private static OpCase Autograd(ActivationKind kind)
    {
        string op = kind switch { ActivationKind.Silu => "Ops.Silu", ActivationKind.Gelu => "Ops.Gelu", _ => "Ops.Gelu(tanh)" };
        return new OpCase
        {
            Family = Family, Name = $"{op} autograd", Shape = "[6, 301]", Op = BackendOp.ActivationBackward, DType = DType.F32,
            Inputs = s => [N(s, 2.0, 6, 301), N(s + 1, 6, 301)],
            Run = t => { var x = Leaf(t[0]); Ops.Activation(kind, x).Backward(t[1]); return [Rel($"{op} autograd d/input0", x.Grad!)]; },
            Gradient = new Gradient(x => Ops.Activation(kind, x[0]), [0]),
        };
    }

    private static OpCase SwiGlu() => new()
    {
        Family = Family, Name = "swiglu.fwd", Shape = "[5, 333]", Op = BackendOp.SwiGlu, DType = DType.F32,
        Inputs = s => [N(s, 5, 333), N(s + 1, 5, 333)],
        Run = t => [Rel("swiglu.fwd", Be(t).SwiGlu(t[0], t[1]))],
        Reference = t => [Ref("swiglu.fwd", D(t[0]).Zip(D(t[1]), (g, u) => g * ActivationReference.Sigmoid(g) * u).ToArray())],
        Gradient = new Gradient(x => Ops.SwiGlu(x[0], x[1]), [0, 1]),
    };

    private static OpCase SwiGluBackward() => new()
    {
        Family = Family, Name = "swiglu.bwd", Shape = "[7, 129]", Op = BackendOp.SwiGluBackward, DType = DType.F32,
        Inputs = s => [N(s, 7, 129), Tensor.RandUniform([7, 129], s + 1, 0.5, 2.0), N(s + 2, 7, 129)],
        Run = t => { var (dg, du) = Be(t).SwiGluBackward(t[0], t[1], t[2]); return [Rel("swiglu.bwd.gate", dg), Rel("swiglu.bwd.up", du)]; },
        Reference = t =>
        {
            var (g, u, gy) = (D(t[0]), D(t[1]), D(t[2]));
            return [Ref("swiglu.bwd.gate", g.Select((x, i) => gy[i] * u[i] * ActivationReference.Derivative(ActivationKind.Silu, x)).ToArray()),
                Ref("swiglu.bwd.up", g.Select((x, i) => gy[i] * x * ActivationReference.Sigmoid(x)).ToArray())];
        },
    };
}
