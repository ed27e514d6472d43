namespace Engine.Runtime.Cuda;

/// <summary>
/// Embedding gather and its deterministic gradient on CUDA (kernels/embedding.cu), twins of CpuEmbedding: f32 tables,
/// bf16 tables read exactly as f32, ids I64 or I32, every id checked on the device (an out-of-range id is the CPU's error).
/// </summary>
public sealed unsafe partial class CudaBackend
{
    public Tensor Embedding(Tensor weight, Tensor ids)
    {
        if (weight.Rank != 2) throw new ArgumentException($"Embedding: weight must be [V, D], got {weight.ShapeString}.");
        if (weight.DType == DType.BF16) return EmbeddingBf16(weight, ids);
        RequireF32("Embedding", weight);
        var ids64 = Ids64("Embedding", ids, ids.NumElements, "ids");
        int vocab = weight.Size(0), dim = weight.Size(1);
        var y = New(ids.ShapeArray().Append(dim).ToArray(), DType.F32);
        if (y.NumElements == 0) return y;
        var bad = BadIdWord();
        EmbeddingKernels.EmbeddingFwdF32(S, Grid.Elements(y.NumElements), P(weight.Contiguous()), P(ids64), P(y), ids.NumElements, dim, vocab, P(bad));
        if (FirstBadRow(bad) is { } position) throw IdErrors.Id("Embedding", IdAt(ids64, position), position, ids.ShapeString, vocab);
        return y;
    }

    public Tensor EmbeddingBackward(Tensor gy, Tensor ids, int vocab)
    {
        RequireF32("EmbeddingBackward", gy);
        var ids64 = Ids64("EmbeddingBackward", ids, ids.NumElements, "ids");
        int dim = gy.Size(-1);
        if (gy.NumElements != ids.NumElements * dim)
            throw new ArgumentException($"EmbeddingBackward: gradient {gy.ShapeString} does not match ids {ids.ShapeString} × {dim}.");
        var dw = Tensor.Zeros([vocab, dim], DType.F32, gy.Device);
        if (dim > 0) EmbeddingKernels.EmbeddingBwdF32(S, Grid.Elements(dim), P(gy), P(ids64), P(dw), ids.NumElements, dim, vocab);
        return dw;
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
