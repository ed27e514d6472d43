namespace Engine.Runtime.Cuda;

/// <summary>
/// What the bf16 (autocast) path needs from the GPU beyond the f32 kernels: cuBLAS GEMM with bf16 operands,
/// f32 accumulation (tensor cores) and an f32 result, and an embedding gather from a bf16 table built from the
/// existing f32 gather and bf16→f32 cast kernels. No new kernels.
/// </summary>
public sealed unsafe partial class CudaBackend
{
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
    /// Rows of a bf16 table [V, D] as f32, exactly: the table's bytes read as f32 [V, D/2] (two bf16 per word) go through
    /// the f32 gather, and the gathered words, read back as bf16 [N, D], through the widening cast. Needs an even D.
    /// </summary>
    private Tensor EmbeddingBf16(Tensor weight, Tensor ids)
    {
        int v = weight.Size(0), d = weight.Size(1);
        if (d % 2 != 0 || !weight.IsContiguous || weight.Offset != 0)
            throw Missing("Embedding", $"bf16 table {weight.ShapeString} needs an even, dense row (a bf16 gather kernel would lift this)");
        var words = Tensor.FromStorage(weight.Storage, DType.F32, [v, d / 2]);
        var gathered = Embedding(words, ids);                       // [.., D/2] f32 words = [.., D] bf16 values
        var asBf16 = Tensor.FromStorage(gathered.Storage, DType.BF16, [.. ids.ShapeArray(), d]);
        return Cast(asBf16, DType.F32);
    }
}
