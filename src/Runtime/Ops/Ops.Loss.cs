namespace Engine.Runtime;

public static partial class Ops
{
    /// <summary>
    /// Fused cross-entropy over the vocabulary: logits [..., V], targets I64 (or I32) [...]. Positions whose target
    /// equals <paramref name="ignoreIndex"/> contribute nothing. Mean averages over non-ignored positions (0, not NaN,
    /// when all are ignored); None returns the per-position loss [...] with 0 where ignored. Only a per-row
    /// log-sum-exp is kept for backward, which writes softmax − onehot row by row into dLogits.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, int ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        var batch = CheckPerRowIds("CrossEntropy", logits, targets, "targets");
        var be = Backend.Of(logits, targets);
        var lc = logits.Contiguous(); var tc = targets.Contiguous();
        var (nll, lse) = be.CrossEntropyRows(lc, tc, ignoreIndex);
        int rows = checked((int)nll.NumElements);
        long counted = reduction == Reduction.Mean ? CountNotIgnored(tc, ignoreIndex) : rows;
        double meanScale = counted == 0 ? 0.0 : 1.0 / counted;

        Tensor y = reduction switch
        {
            Reduction.None => ReshapeNoGrad(nll, batch),
            Reduction.Sum => be.Sum(nll, [0], keepDim: false),
            Reduction.Mean => be.Affine(be.Sum(nll, [0], keepDim: false), meanScale, 0),
            _ => throw new ArgumentOutOfRangeException(nameof(reduction)),
        };
        return Autograd.Record(y, "CrossEntropy", [lc], g =>
        {
            var gc = g.Contiguous();
            var rowGrad = reduction switch
            {
                Reduction.None => ReshapeNoGrad(gc, [rows]),
                Reduction.Sum => be.BroadcastTo(ReshapeNoGrad(gc, [1]), [rows]),
                _ => be.Affine(be.BroadcastTo(ReshapeNoGrad(gc, [1]), [rows]), meanScale, 0),
            };
            return [be.CrossEntropyRowsBackward(lc, tc, lse, rowGrad, ignoreIndex)];
        });
    }

    /// <summary>
    /// log p(ids) under softmax(logits) along the last dim: logits [..., V], ids I64 (or I32) [...] → [...].
    /// Fused (one log-sum-exp per row); backward gives onehot − softmax scaled by the incoming gradient.
    /// </summary>
    public static Tensor TokenLogProbs(Tensor logits, Tensor ids)
    {
        var batch = CheckPerRowIds("TokenLogProbs", logits, ids, "ids");
        var be = Backend.Of(logits, ids);
        var lc = logits.Contiguous(); var ic = ids.Contiguous();
        var (nll, lse) = be.CrossEntropyRows(lc, ic, ignoreIndex: null);
        int rows = checked((int)nll.NumElements);
        var y = ReshapeNoGrad(be.Affine(nll, -1, 0), batch);
        return Autograd.Record(y, "TokenLogProbs", [lc], g =>
        {
            var rowGrad = be.Affine(ReshapeNoGrad(g.Contiguous(), [rows]), -1, 0);
            return [be.CrossEntropyRowsBackward(lc, ic, lse, rowGrad, ignoreIndex: null)];
        });
    }

    /// <summary>
    /// Softmax probability over the full vocabulary of each candidate token: logits [N, V] (or [..., V]) → [N, K]
    /// (or [..., K]). Inference only: no gradient is recorded. Used for SelectIT's rating tokens "1".."K";
    /// no full-vocabulary softmax is materialised.
    /// </summary>
    public static Tensor CandidateProbs(Tensor logits, int[] candidateIds)
    {
        ArgumentNullException.ThrowIfNull(candidateIds);
        if (candidateIds.Length == 0) throw new ArgumentException("CandidateProbs: candidateIds is empty.");
        if (logits.Rank < 1) throw new ArgumentException($"CandidateProbs: logits must be [..., V], got {logits.ShapeString}.");
        var shape = logits.ShapeArray(); shape[^1] = candidateIds.Length;
        using var _ = Autograd.NoGrad();
        var probs = Backend.Of(logits).CandidateProbs(logits.Contiguous(), candidateIds);
        return probs.Reshape(shape);
    }

    /// <summary>
    /// Symmetric KL per position between p = softmax(logitsP) and q = softmax(logitsQ) along the last dim:
    /// KL(p‖q) + KL(q‖p), [..., V] → [...]. Fused, with gradients for both inputs.
    /// This is CCL's raw consistency term L_CL (the CCL paper's consistency loss): summed over the vocabulary, no
    /// ½ factor, no temperature; the weight α and the average over response tokens are applied by the caller.
    /// </summary>
    public static Tensor SymmetricKl(Tensor logitsP, Tensor logitsQ)
    {
        if (!logitsP.Shape.SequenceEqual(logitsQ.Shape))
            throw new ArgumentException($"SymmetricKl: logitsP {logitsP.ShapeString} and logitsQ {logitsQ.ShapeString} must have the same shape.");
        if (logitsP.DType != logitsQ.DType)
            throw new ArgumentException($"SymmetricKl: logitsP is {logitsP.DType} but logitsQ is {logitsQ.DType}.");
        if (logitsP.Rank < 1) throw new ArgumentException($"SymmetricKl: logits must be [..., V], got {logitsP.ShapeString}.");
        var be = Backend.Of(logitsP, logitsQ);
        var pc = logitsP.Contiguous(); var qc = logitsQ.Contiguous();
        var (kl, stats) = be.SymmetricKl(pc, qc);
        int rows = checked((int)kl.NumElements);
        var y = ReshapeNoGrad(kl, logitsP.ShapeArray()[..^1]);
        return Autograd.Record(y, "SymmetricKl", [pc, qc], g =>
        {
            var (dP, dQ) = be.SymmetricKlBackward(pc, qc, stats, ReshapeNoGrad(g.Contiguous(), [rows]));
            return [pc.RequiresGrad ? dP : null, qc.RequiresGrad ? dQ : null];
        });
    }

    /// <summary>Checks ids [...] against logits [..., V]; returns the batch shape [...].</summary>
    private static int[] CheckPerRowIds(string op, Tensor logits, Tensor ids, string idsName)
    {
        if (logits.Rank < 1) throw new ArgumentException($"{op}: logits must be [..., V], got {logits.ShapeString}.");
        var batch = logits.ShapeArray()[..^1];
        if (!ids.Shape.SequenceEqual(batch))
            throw new ArgumentException($"{op}: {idsName} {ids.ShapeString} must have the shape of logits {logits.ShapeString} without its last dim, [{string.Join(", ", batch)}].");
        if (ids.DType is not (DType.I64 or DType.I32))
            throw new ArgumentException($"{op}: {idsName} must be I64 (or I32), got {ids.DType}.");
        return batch;
    }

    /// <summary>Number of targets that are not <paramref name="ignoreIndex"/> (read on the host: N integers).</summary>
    private static long CountNotIgnored(Tensor targets, long ignoreIndex)
    {
        var host = targets.Device.IsCpu ? targets : targets.To(Device.Cpu);
        return host.DType == DType.I64
            ? host.ToArray<long>().LongCount(t => t != ignoreIndex)
            : host.ToArray<int>().LongCount(t => t != ignoreIndex);
    }

    private static Tensor ReshapeNoGrad(Tensor t, int[] shape)
    {
        using var _ = Autograd.NoGrad();
        return t.Reshape(shape);
    }
}
