namespace Engine.Runtime.Cuda;

/// <summary>
/// Matrix products on CUDA through cuBLAS (no kernels/ file): MatMul in the operands' dtype (f32/f16 through
/// cublasGemmEx, bf16 through cuBLASLt when it loads), and the autocast MixedMatMul (bf16/f16 operands, f32
/// accumulation and result). Twins of Cpu/MatMul.
/// </summary>
public sealed unsafe partial class CudaBackend
{
    public Tensor MatMul(Tensor a, Tensor b, bool transA, bool transB)
    {
        if (a.DType != b.DType || a.DType is not (DType.F32 or DType.BF16 or DType.F16)) throw Missing("MatMul", $"{a.DType} × {b.DType}");
        var (batch, m, k, n, shape) = Ops.MatMulShape(a, b, transA, transB);
        var y = New(shape, a.DType);
        int lda = transA ? m : k, ldb = transB ? k : n;
        if (a.DType == DType.BF16 && _blasLt.Value is { } lt)
        {
            // bf16 goes through cuBLASLt (its heuristics pick tensor-core kernels per shape); f32 stays on GemmEx.
            if (b.Rank == 2 && !transA) lt.Matmul(false, transB, batch * m, n, k, 1f, Addr(a), lda, Addr(b), ldb, 0f, Addr(y), n, a.DType, y.DType);
            else lt.Matmul(transA, transB, m, n, k, 1f, Addr(a), lda, Addr(b), ldb, 0f, Addr(y), n, a.DType, y.DType,
                batch: batch, strideA: (long)m * k, strideB: b.Rank == 2 ? 0 : (long)k * n, strideC: (long)m * n);
            return y;
        }
        GemmEx(a, b, transA, transB, y, batch, m, k, n);
        return y;
    }

    public Tensor MixedMatMul(Tensor a, Tensor b, bool transA, bool transB)
    {
        if (a.DType != b.DType || a.DType is not (DType.BF16 or DType.F16))
            throw Missing("MixedMatMul", $"{a.DType} × {b.DType}; both operands must be BF16 (or both F16)");
        var (batch, m, k, n, shape) = Ops.MatMulShape(a, b, transA, transB);
        var y = New(shape, DType.F32);
        GemmEx(a, b, transA, transB, y, batch, m, k, n);
        return y;
    }

    /// <summary>
    /// y = op(a)·op(b) through cublasGemmEx, in y's dtype: one GEMM over all rows when b is a shared 2-D matrix and a
    /// is not transposed, else strided batches (b broadcast when 2-D).
    /// </summary>
    private void GemmEx(Tensor a, Tensor b, bool transA, bool transB, Tensor y, int batch, int m, int k, int n)
    {
        int lda = transA ? m : k, ldb = transB ? k : n;
        if (b.Rank == 2 && !transA)
            _blas.Value.Gemm(false, transB, batch * m, n, k, 1f, Addr(a), lda, Addr(b), ldb, 0f, Addr(y), n, a.DType, y.DType);
        else
            _blas.Value.Gemm(transA, transB, m, n, k, 1f, Addr(a), lda, Addr(b), ldb, 0f, Addr(y), n, a.DType, y.DType,
                batch, (long)m * k, b.Rank == 2 ? 0 : (long)k * n, (long)m * n);
    }
}
