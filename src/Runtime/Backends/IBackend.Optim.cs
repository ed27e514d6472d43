namespace Engine.Runtime;

public partial interface IBackend
{
    /// <summary>
    /// One fused AdamW update in place (torch.optim.AdamW semantics): param ·= 1 − lr·wd; m ← lerp(m, g, 1−β1);
    /// v ← β2·v + (1−β2)·g²; param −= lr/(1−β1^step) · m / (√v/√(1−β2^step) + eps).
    /// param, m, v share dtype (F32 or F64); grad has the same dtype and shape. <paramref name="step"/> counts from 1.
    /// </summary>
    void AdamWStep(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps, double weightDecay, long step);
    /// <summary>
    /// <see cref="AdamWStep"/> for many parameters at once (multi-tensor: one launch on CUDA instead of one per tensor),
    /// with exactly the per-element math of <see cref="AdamWStep"/>. Each group's tensors follow AdamWStep's rules.
    /// </summary>
    void AdamWStepMany(IReadOnlyList<AdamWTensors> groups, double lr, double beta1, double beta2, double eps, double weightDecay, long step);
    /// <summary>Σ x², accumulated in f64.</summary>
    double SumOfSquares(Tensor x);
    /// <summary>x ·= factor, in place.</summary>
    void ScaleInPlace(Tensor x, double factor);
}

/// <summary>One parameter's tensors for <see cref="IBackend.AdamWStepMany"/>: the parameter, its gradient and both moments.</summary>
public readonly record struct AdamWTensors(Tensor Param, Tensor Grad, Tensor M, Tensor V);
