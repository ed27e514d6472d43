using Engine.Runtime.Cpu;

namespace Engine.Runtime;

public sealed unsafe partial class CpuBackend
{
    public bool HasNativeAttention(DType dtype, int headDim) => dtype is DType.F32 or DType.F64;

    public (Tensor o, Tensor lse) AttentionForward(Tensor q, Tensor k, Tensor v, Tensor? keyMask, bool causal, double scale)
    {
        using var clock = CpuOpClock.Time("attention");
        RequireSameDType("Attention", q, k, v);
        int bN = q.Size(0), hq = q.Size(1), tq = q.Size(2), d = q.Size(3);
        var o = Tensor.Empty([bN, hq, tq, d], q.DType);
        var lse = Tensor.Empty([bN, hq, tq], q.DType);
        if (q.DType == DType.F32)
            CpuAttentionForward.Run(AttentionPlan<float>.Create(q, k, keyMask, causal, scale), HeadRows<float>.Of(q), HeadRows<float>.Of(k), HeadRows<float>.Of(v), o.Ptr<float>(), lse.Ptr<float>());
        else
            CpuAttentionForward.Run(AttentionPlan<double>.Create(q, k, keyMask, causal, scale), HeadRows<double>.Of(q), HeadRows<double>.Of(k), HeadRows<double>.Of(v), o.Ptr<double>(), lse.Ptr<double>());
        Alive(q, k, v, keyMask);
        return (o, lse);
    }

    public (Tensor dq, Tensor dk, Tensor dv) AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Tensor dO, Tensor? keyMask, bool causal, double scale)
    {
        using var clock = CpuOpClock.Time("attention backward");
        RequireSameDType("AttentionBackward", q, k, v, o, lse, dO);
        if (!o.IsContiguous || !lse.IsContiguous) throw new ArgumentException("AttentionBackward needs the contiguous output and log-sum-exp of the forward.");
        var dq = Tensor.Empty(q.Shape, q.DType);
        var dk = Tensor.Empty(k.Shape, k.DType);
        var dv = Tensor.Empty(v.Shape, v.DType);
        if (q.DType == DType.F32)
            CpuAttentionBackward.Run(AttentionPlan<float>.Create(q, k, keyMask, causal, scale), HeadRows<float>.Of(q), HeadRows<float>.Of(k), HeadRows<float>.Of(v),
                o.Ptr<float>(), lse.Ptr<float>(), HeadRows<float>.Of(dO), dq.Ptr<float>(), dk.Ptr<float>(), dv.Ptr<float>());
        else
            CpuAttentionBackward.Run(AttentionPlan<double>.Create(q, k, keyMask, causal, scale), HeadRows<double>.Of(q), HeadRows<double>.Of(k), HeadRows<double>.Of(v),
                o.Ptr<double>(), lse.Ptr<double>(), HeadRows<double>.Of(dO), dq.Ptr<double>(), dk.Ptr<double>(), dv.Ptr<double>());
        Alive(q, k, v, o, lse, dO, keyMask);
        return (dq, dk, dv);
    }
}
