namespace Engine.Runtime;

public static partial class Ops
{
    /// <summary>
    /// Token embedding lookup: weight [V, D] (F32/F64, or a frozen BF16 table giving F32 output), ids I64 or I32
    /// of any shape → [..., D]. An id outside [0, V) is an error naming it. The weight gradient is accumulated
    /// deterministically (grouped by id, summed in position order).
    /// </summary>
    public static Tensor Embedding(Tensor weight, Tensor ids)
    {
        if (weight.Rank != 2) throw new ArgumentException($"Embedding: weight must be [V, D], got {weight.ShapeString}.");
        if (ids.DType is not (DType.I64 or DType.I32)) throw new ArgumentException($"Embedding: ids must be I64 or I32, got {ids.DType}.");
        var be = Backend.Of(weight, ids);
        var wc = weight.Contiguous(); var ic = ids.Contiguous();
        var y = be.Embedding(wc, ic);
        int vocab = weight.Size(0);
        return Autograd.Record(y, "Embedding", [wc], g => [be.EmbeddingBackward(g.Contiguous(), ic, vocab).AsSoleGradient()]);
    }
}
