using Engine.Runtime.Cpu;

namespace Engine.Runtime;

public sealed unsafe partial class CpuBackend
{
    public Tensor Conv1d(Tensor x, Tensor weight, Tensor? bias, Conv1dGeometry g)
    {
        RequireSameDType("Conv1d", x, weight, bias);
        var y = Tensor.Empty([g.Batch, g.OutChannels, g.OutLength], x.DType);
        if (x.DType == DType.F32) CpuConv1d.Forward(x.Ptr<float>(), weight.Ptr<float>(), bias is null ? null : bias.Ptr<float>(), y.Ptr<float>(), g);
        else CpuConv1d.Forward(x.Ptr<double>(), weight.Ptr<double>(), bias is null ? null : bias.Ptr<double>(), y.Ptr<double>(), g);
        Alive(x, weight, bias);
        return y;
    }

    public Tensor Conv1dBackwardInput(Tensor gy, Tensor weight, Conv1dGeometry g)
    {
        RequireSameDType("Conv1dBackwardInput", gy, weight);
        var gx = Tensor.Empty([g.Batch, g.InChannels, g.Length], gy.DType);
        if (gy.DType == DType.F32) CpuConv1d.BackwardInput(gy.Ptr<float>(), weight.Ptr<float>(), gx.Ptr<float>(), g);
        else CpuConv1d.BackwardInput(gy.Ptr<double>(), weight.Ptr<double>(), gx.Ptr<double>(), g);
        Alive(gy, weight);
        return gx;
    }

    public Tensor Conv1dBackwardWeight(Tensor x, Tensor gy, Conv1dGeometry g)
    {
        RequireSameDType("Conv1dBackwardWeight", x, gy);
        var gw = Tensor.Empty([g.OutChannels, g.InChannels, g.KernelSize], x.DType);
        if (x.DType == DType.F32) CpuConv1d.BackwardWeight(x.Ptr<float>(), gy.Ptr<float>(), gw.Ptr<float>(), g);
        else CpuConv1d.BackwardWeight(x.Ptr<double>(), gy.Ptr<double>(), gw.Ptr<double>(), g);
        Alive(x, gy);
        return gw;
    }

    public Tensor Conv1dBackwardBias(Tensor gy, Conv1dGeometry g)
    {
        RequireFloat(gy, "Conv1dBackwardBias");
        var gb = Tensor.Empty([g.OutChannels], gy.DType);
        if (gy.DType == DType.F32) CpuConv1d.BackwardBias(gy.Ptr<float>(), gb.Ptr<float>(), g);
        else CpuConv1d.BackwardBias(gy.Ptr<double>(), gb.Ptr<double>(), g);
        Alive(gy);
        return gb;
    }
}
