using Engine.Runtime.Cpu;

namespace Engine.Runtime;

/// <summary>MatMul (the blocked SIMD GEMM of this folder, f32/f64, and f32 × a bf16 weight via Gemm.SgemmBf16Weights) and the autocast MixedMatMul on the CPU.</summary>
public sealed unsafe partial class CpuBackend
{
    public Tensor MatMul(Tensor a, Tensor b, bool transA, bool transB)
    {
        using var clock = CpuOpClock.Time("matmul");
        if (b.DType == DType.BF16 && a.DType == DType.F32) return MatMulBf16(a, b, transA, transB);
        RequireSameDType("MatMul", a, b);
        var (batch, m, k, n, shape) = Ops.MatMulShape(a, b, transA, transB);
        var y = Tensor.Empty(shape, a.DType);
        long sa = (long)m * k, sb = b.Rank == 2 ? 0 : (long)k * n, sc = (long)m * n;
        int lda = transA ? m : k, ldb = transB ? k : n;
        if (a.DType == DType.F32) CpuGemmLog.Record(new(transA, transB, m, n, k, batch, sb == 0));
        if (a.DType == DType.F32)
            Gemm.GemmStridedBatched(transA, transB, m, n, k, 1f, a.Ptr<float>(), lda, sa, b.Ptr<float>(), ldb, sb, 0f, y.Ptr<float>(), n, sc, batch);
        else
            Gemm.GemmStridedBatched(transA, transB, m, n, k, 1.0, a.Ptr<double>(), lda, sa, b.Ptr<double>(), ldb, sb, 0.0, y.Ptr<double>(), n, sc, batch);
        Alive(a, b);
        return y;
    }

    private Tensor MatMulBf16(Tensor a, Tensor b, bool transA, bool transB)
    {
        var (batch, m, k, n, shape) = Ops.MatMulShape(a, b, transA, transB);
        if (b.Rank != 2) throw new NotSupportedException("bf16 × f32 matmul needs a rank-2 (weight) right operand.");
        var y = Tensor.Empty(shape, DType.F32);
        int lda = transA ? m : k, ldb = transB ? k : n;
        if (!transA && batch > 1)
        {
            // Rows of all batches form one tall matrix: one call, one widening of the weights.
            Gemm.SgemmBf16Weights(false, transB, batch * m, n, k, 1f, a.Ptr<float>(), lda, b.Ptr<ushort>(), ldb, 0f, y.Ptr<float>(), n);
            Alive(a, b);
            return y;
        }
        for (int i = 0; i < batch; i++)
            Gemm.SgemmBf16Weights(transA, transB, m, n, k, 1f, a.Ptr<float>() + i * (long)m * k, lda, b.Ptr<ushort>(), ldb, 0f, y.Ptr<float>() + i * (long)m * n, n);
        Alive(a, b);
        return y;
    }

    /// <summary>
    /// Operands are widened to f32 (exact) and the f32 GEMM runs: the math of bf16 inputs with f32 accumulation.
    /// A rank-2 bf16 right operand (a weight) goes to Gemm.SgemmBf16Weights instead: widened inside the GEMM's packing,
    /// or, where the CPU has AVX512_BF16, multiplied by VDPBF16PS (the f32 left operand is bf16-exact here, so the
    /// rounding in that kernel's packing changes nothing).
    /// </summary>
    public Tensor MixedMatMul(Tensor a, Tensor b, bool transA, bool transB)
    {
        RequireMixedOperand("MixedMatMul", a);
        RequireMixedOperand("MixedMatMul", b);
        using var _ = Autograd.NoGrad();
        var af = a.DType == DType.F32 ? a : a.To(DType.F32);
        if (b.DType == DType.BF16 && b.Rank == 2) return MatMul(af, b, transA, transB);
        Alive(a, b);
        return MatMul(af, b.DType == DType.F32 ? b : b.To(DType.F32), transA, transB);
    }

    private static void RequireMixedOperand(string op, Tensor t)
    {
        if (t.DType is not (DType.BF16 or DType.F16 or DType.F32))
            throw new ArgumentException($"{op}: operands must be BF16, F16 (or already-rounded F32), got {t.DType} {t.ShapeString}.");
    }
}
