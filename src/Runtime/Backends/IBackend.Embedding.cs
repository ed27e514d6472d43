namespace Engine.Runtime;

public partial interface IBackend
{
    /// <summary>Rows of weight [V, D] (F32, F64 or BF16 → F32) picked by ids (I64 or I32, any shape) → [..., D].</summary>
    Tensor Embedding(Tensor weight, Tensor ids);
    /// <summary>
    /// dWeight [vocab, D] = Σ over positions of dL/dy rows, added into the row of each position's id.
    /// Deterministic: each row's sum runs in position order, whatever the thread count.
    /// </summary>
    Tensor EmbeddingBackward(Tensor gy, Tensor ids, int vocab);
}
