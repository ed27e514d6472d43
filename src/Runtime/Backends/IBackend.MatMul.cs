namespace Engine.Runtime;

public partial interface IBackend
{
    /// <summary>
    /// Batched matrix product of 16-bit float operands (BF16, or F16) with f32 accumulation and an F32 result:
    /// the autocast matmul. Same layout rules as <see cref="MatMul"/>. Products of two bf16 values are exact in f32,
    /// so every backend computes "bf16 inputs, f32 accumulate" (only the summation order may differ).
    /// </summary>
    Tensor MixedMatMul(Tensor a, Tensor b, bool transA, bool transB);
}
