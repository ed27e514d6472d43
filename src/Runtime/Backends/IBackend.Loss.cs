namespace Engine.Runtime;

public partial interface IBackend
{
    /// <summary>
    /// Per-row negative log-likelihood over logits [N, V] with targets [N] (I64 or I32): nll[i] = lse[i] − logits[i, t_i],
    /// and lse[i] = log Σ_v exp(logits[i, v]), kept for the backward pass. Rows whose target equals
    /// <paramref name="ignoreIndex"/> get nll = 0 (lse unspecified). Any other target outside [0, V) is an error.
    /// </summary>
    (Tensor nll, Tensor lse) CrossEntropyRows(Tensor logits, Tensor targets, long? ignoreIndex);
    /// <summary>
    /// dLogits [N, V] = rowGrad[i]·(softmax(logits[i]) − onehot(t_i)), computed row by row from the saved lse;
    /// zero rows where the target is ignored.
    /// </summary>
    Tensor CrossEntropyRowsBackward(Tensor logits, Tensor targets, Tensor lse, Tensor rowGrad, long? ignoreIndex);
    /// <summary>softmax(logits[i])[c_k] for each row of logits [N, V] and candidate ids c → [N, K]; no softmax is materialised.</summary>
    Tensor CandidateProbs(Tensor logits, int[] candidateIds);
    /// <summary>
    /// Per-row KL(p‖q) + KL(q‖p) of p = softmax(logitsP[i]), q = softmax(logitsQ[i]) for [N, V] inputs → kl [N],
    /// and rowStats [N, 4] = (lseP, lseQ, KL(p‖q), KL(q‖p)) for the backward pass.
    /// </summary>
    (Tensor kl, Tensor rowStats) SymmetricKl(Tensor logitsP, Tensor logitsQ);
    /// <summary>Gradients of <see cref="SymmetricKl"/> w.r.t. both inputs, given dL/dkl [N] and the saved rowStats.</summary>
    (Tensor dP, Tensor dQ) SymmetricKlBackward(Tensor logitsP, Tensor logitsQ, Tensor rowStats, Tensor gy);
}
