namespace Engine.Runtime;

public partial interface IBackend
{
    /// <summary>
    /// Inverted dropout with the keep mask of Philox stream (seed, offset): element i is kept iff
    /// Philox.ToUniform(Philox.Word(seed, offset, i)) ≥ p, and kept values are scaled by 1/(1−p).
    /// The backward pass is the same call on dL/dy (the mask is recomputed, never stored).
    /// </summary>
    Tensor Dropout(Tensor x, double p, ulong seed, ulong offset);
}
