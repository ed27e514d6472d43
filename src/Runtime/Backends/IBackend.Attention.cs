namespace Engine.Runtime;

public partial interface IBackend
{
    /// <summary>
    /// Fused attention forward. q [B, Hq, Tq, D], k/v [B, Hkv, Tk, D]: any strides with unit stride in the last dim.
    /// keyMask: null or contiguous [B, Tk] integer (nonzero = attend). Returns the output [B, Hq, Tq, D] (contiguous)
    /// and the per-row log-sum-exp [B, Hq, Tq] of the scaled, masked scores (+inf for rows with no visible key).
    /// </summary>
    (Tensor o, Tensor lse) AttentionForward(Tensor q, Tensor k, Tensor v, Tensor? keyMask, bool causal, double scale);

    /// <summary>Gradients for q, k and v, recomputing probabilities from the saved log-sum-exp (same layouts as forward; dO any unit-last-stride layout).</summary>
    /// <summary>Whether <see cref="AttentionForward"/>/<see cref="AttentionBackward"/> have a native kernel for this dtype and head dim.</summary>
    bool HasNativeAttention(DType dtype, int headDim);
    (Tensor dq, Tensor dk, Tensor dv) AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Tensor dO, Tensor? keyMask, bool causal, double scale);
}
