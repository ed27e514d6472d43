using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Models.Scoring;

/// <summary>Log-probability of each token given its prefix: TokenLogProbs[i] = log p(ids[i+1] | ids[..i]).</summary>
public sealed record ScoredSequence(int[] Ids, double[] TokenLogProbs)
{
    public double LogProbSum => TokenLogProbs.Sum();
}

/// <summary>
/// Scores token sequences with a model: per-token log-probabilities and candidate-token probabilities.
/// Sequences are right-padded into batches; the full-vocabulary logits stay inside the op that reduces
/// them (log-softmax gather / candidate probabilities), one sequence at a time, so nothing of size
/// [B, T, V] is copied to the host.
/// </summary>
public sealed class Scorer(TransformerModel model, int batchSize = 8)
{
    public TransformerModel Model { get; } = model;
    public int BatchSize { get; } = batchSize > 0 ? batchSize : throw new ArgumentOutOfRangeException(nameof(batchSize));

    /// <param name="padTo">Pad every batch to at least this many tokens (with a full batch, fixed shapes make results independent of the other rows).</param>
    public IReadOnlyList<ScoredSequence> Score(IReadOnlyList<int[]> sequences, Action<int>? progress = null, int padTo = 0)
    {
        var results = new ScoredSequence[sequences.Count];
        using var _ = Autograd.NoGrad();
        // Sort by length so batches waste little padding; results go back to input order.
        var order = Enumerable.Range(0, sequences.Count).OrderBy(i => sequences[i].Length).ToArray();
        for (int start = 0; start < order.Length; start += BatchSize)
        {
            var idx = order.Skip(start).Take(BatchSize).ToArray();
            var batch = idx.Select(i => sequences[i]).ToArray();
            var (ids, mask, _) = Batching.RightPad(batch, Model.Device, minLength: padTo);
            var hidden = Model.ForwardHidden(ids, mask);
            for (int r = 0; r < idx.Length; r++)
            {
                var seq = batch[r];
                if (seq.Length < 2) { results[idx[r]] = new ScoredSequence(seq, []); continue; }
                var h = hidden.Narrow(0, r, 1).Narrow(1, 0, seq.Length - 1).Reshape(seq.Length - 1, -1);
                var targets = Tensor.FromArray(seq.Skip(1).Select(x => (long)x).ToArray(), seq.Length - 1);
                if (!Model.Device.IsCpu) targets = targets.To(Model.Device);
                var lp = Ops.TokenLogProbs(Model.Logits(h), targets).ToDoubleArray();
                results[idx[r]] = new ScoredSequence(seq, lp);
            }
            progress?.Invoke(idx.Length);
        }
        return results;
    }

    /// <summary>
    /// For each prompt, the probability (full-vocabulary softmax) of each candidate token as the next token
    /// after the prompt: [prompts][candidates]. SelectIT's rating-token distribution.
    /// </summary>
    public double[][] CandidateProbabilities(IReadOnlyList<int[]> prompts, int[] candidateIds, int padTo = 0)
    {
        var results = new double[prompts.Count][];
        using var _ = Autograd.NoGrad();
        var order = Enumerable.Range(0, prompts.Count).OrderBy(i => prompts[i].Length).ToArray();
        for (int start = 0; start < order.Length; start += BatchSize)
        {
            var idx = order.Skip(start).Take(BatchSize).ToArray();
            var batch = idx.Select(i => prompts[i]).ToArray();
            if (batch.Any(p => p.Length == 0)) throw new ArgumentException("CandidateProbabilities needs non-empty prompts.");
            var (ids, mask, _) = Batching.RightPad(batch, Model.Device, minLength: padTo);
            var hidden = Model.ForwardHidden(ids, mask);
            var last = Ops.Cat(batch.Select((p, r) => hidden.Narrow(0, r, 1).Narrow(1, p.Length - 1, 1).Reshape(1, -1)).ToArray(), 0);
            var probs = Ops.CandidateProbs(Model.Logits(last), candidateIds).ToDoubleArray();
            for (int r = 0; r < idx.Length; r++) results[idx[r]] = probs.AsSpan(r * candidateIds.Length, candidateIds.Length).ToArray();
        }
        return results;
    }
}
