namespace Engine.Runtime;

public sealed partial class CpuBackend
{
    /// <summary>
    /// The CPU has no bf16 arithmetic worth using, so the operands are widened to f32 (exact) and the f32 GEMM runs:
    /// bit-for-bit the math of bf16 inputs with f32 accumulation. A rank-2 bf16 right operand (a weight) is widened
    /// inside the GEMM's packing instead of as a whole copy.
    /// </summary>
    public Tensor MixedMatMul(Tensor a, Tensor b, bool transA, bool transB)
    {
        RequireMixedOperand("MixedMatMul", a);
        RequireMixedOperand("MixedMatMul", b);
        using var _ = Autograd.NoGrad();
        var af = a.DType == DType.F32 ? a : a.To(DType.F32);
        if (b.DType == DType.BF16 && b.Rank == 2) return MatMul(af, b, transA, transB);
        return MatMul(af, b.DType == DType.F32 ? b : b.To(DType.F32), transA, transB);
    }

    private static void RequireMixedOperand(string op, Tensor t)
    {
        if (t.DType is not (DType.BF16 or DType.F16 or DType.F32))
            throw new ArgumentException($"{op}: operands must be BF16, F16 (or already-rounded F32), got {t.DType} {t.ShapeString}.");
    }
}
