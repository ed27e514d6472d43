namespace Engine.Runtime;

public partial interface IBackend
{
    /// <summary>
    /// Batched matrix product y[b] = op(a[b])·op(b[b]) over the leading (batch) dims. a is [..., M, K]
    /// (or [..., K, M] when transA), b is [..., K, N] (or [..., N, K] when transB), contiguous;
    /// b may also be rank 2 and shared by every batch. Output is [..., M, N].
    /// </summary>
    Tensor MatMul(Tensor a, Tensor b, bool transA, bool transB);

    /// <summary>
    /// Batched matrix product of 16-bit float operands (BF16, or F16) with f32 accumulation and an F32 result:
    /// the autocast matmul. Same layout rules as <see cref="MatMul"/>. Products of two bf16 values are exact in f32,
    /// so every backend computes "bf16 inputs, f32 accumulate" (only the summation order may differ).
    /// </summary>
    Tensor MixedMatMul(Tensor a, Tensor b, bool transA, bool transB);
}
