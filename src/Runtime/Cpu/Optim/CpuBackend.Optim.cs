using Engine.Runtime.Cpu;

namespace Engine.Runtime;

public sealed unsafe partial class CpuBackend
{
    public void AdamWStep(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps, double weightDecay, long step)
    {
        using var clock = CpuOpClock.Time("adamw");
        RequireSameDType("AdamWStep", param, grad, m, v);
        RequireSameShape("AdamWStep", param, grad, m, v);
        foreach (var t in new[] { param, grad, m, v })
            if (!t.IsContiguous) throw new ArgumentException($"AdamWStep: every tensor must be contiguous ({t} is not).");
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), $"AdamWStep: step counts from 1, got {step}.");
        if (param.DType == DType.F32)
            CpuAdamW.Step(param.Ptr<float>(), grad.Ptr<float>(), m.Ptr<float>(), v.Ptr<float>(), param.NumElements, lr, beta1, beta2, eps, weightDecay, step);
        else
            CpuAdamW.Step(param.Ptr<double>(), grad.Ptr<double>(), m.Ptr<double>(), v.Ptr<double>(), param.NumElements, lr, beta1, beta2, eps, weightDecay, step);
        Alive(param, grad, m, v);
    }

    public void AdamWStepMany(IReadOnlyList<AdamWTensors> groups, double lr, double beta1, double beta2, double eps, double weightDecay, long step)
    {
        foreach (var t in groups) AdamWStep(t.Param, t.Grad, t.M, t.V, lr, beta1, beta2, eps, weightDecay, step);
    }

    public double SumOfSquares(Tensor x)
    {
        using var clock = CpuOpClock.Time("grad clip");
        RequireFloat(x, "SumOfSquares");
        var c = x.Contiguous();
        Alive(x);
        return c.DType == DType.F32 ? CpuGradClip.SumOfSquares(c.Ptr<float>(), c.NumElements) : CpuGradClip.SumOfSquares(c.Ptr<double>(), c.NumElements);
    }

    public void ScaleInPlace(Tensor x, double factor)
    {
        using var clock = CpuOpClock.Time("grad clip");
        RequireFloat(x, "ScaleInPlace");
        if (!x.IsContiguous) throw new ArgumentException($"ScaleInPlace: {x} is not contiguous.");
        if (x.DType == DType.F32) CpuGradClip.Scale(x.Ptr<float>(), x.NumElements, (float)factor);
        else CpuGradClip.Scale(x.Ptr<double>(), x.NumElements, factor);
        Alive(x);
    }
}
