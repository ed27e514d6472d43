using Engine.Runtime.Cpu;

namespace Engine.Runtime;

public sealed unsafe partial class CpuBackend
{
    public Tensor Activation(ActivationKind kind, Tensor x)
    {
        RequireFloat(x, kind.ToString());
        var y = Tensor.EmptyLike(x);
        if (x.DType == DType.F32) CpuActivation.Forward(kind, x.Ptr<float>(), y.Ptr<float>(), x.NumElements);
        else CpuActivation.Forward(kind, x.Ptr<double>(), y.Ptr<double>(), x.NumElements);
        Alive(x);
        return y;
    }

    public Tensor ActivationBackward(ActivationKind kind, Tensor x, Tensor gy)
    {
        RequireSameDType(kind + "Backward", x, gy);
        RequireSameShape(kind + "Backward", x, gy);
        var gx = Tensor.EmptyLike(x);
        if (x.DType == DType.F32) CpuActivation.Backward(kind, x.Ptr<float>(), gy.Ptr<float>(), gx.Ptr<float>(), x.NumElements);
        else CpuActivation.Backward(kind, x.Ptr<double>(), gy.Ptr<double>(), gx.Ptr<double>(), x.NumElements);
        Alive(x, gy);
        return gx;
    }

    public Tensor SwiGlu(Tensor gate, Tensor up)
    {
        using var clock = CpuOpClock.Time("swiglu");
        RequireSameDType("SwiGlu", gate, up);
        RequireSameShape("SwiGlu", gate, up);
        var y = Tensor.EmptyLike(gate);
        if (gate.DType == DType.F32) CpuActivation.SwiGlu(gate.Ptr<float>(), up.Ptr<float>(), y.Ptr<float>(), y.NumElements);
        else CpuActivation.SwiGlu(gate.Ptr<double>(), up.Ptr<double>(), y.Ptr<double>(), y.NumElements);
        Alive(gate, up);
        return y;
    }

    public (Tensor dGate, Tensor dUp) SwiGluBackward(Tensor gate, Tensor up, Tensor gy)
    {
        using var clock = CpuOpClock.Time("swiglu backward");
        RequireSameDType("SwiGluBackward", gate, up, gy);
        RequireSameShape("SwiGluBackward", gate, up, gy);
        var dGate = Tensor.EmptyLike(gate);
        var dUp = Tensor.EmptyLike(up);
        if (gate.DType == DType.F32)
            CpuActivation.SwiGluBackward(gate.Ptr<float>(), up.Ptr<float>(), gy.Ptr<float>(), dGate.Ptr<float>(), dUp.Ptr<float>(), gate.NumElements);
        else
            CpuActivation.SwiGluBackward(gate.Ptr<double>(), up.Ptr<double>(), gy.Ptr<double>(), dGate.Ptr<double>(), dUp.Ptr<double>(), gate.NumElements);
        Alive(gate, up, gy);
        return (dGate, dUp);
    }

    internal static void RequireSameShape(string op, params ReadOnlySpan<Tensor> ts)
    {
        for (int i = 1; i < ts.Length; i++)
            if (!ts[i].Shape.SequenceEqual(ts[0].Shape))
                throw new ArgumentException($"{op}: shapes {ts[0].ShapeString} and {ts[i].ShapeString} must be equal.");
    }
}
