using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Methods.Curriculum.CCL;

/// <summary>
/// One micro-batch of CCL's loss, L = (1/N) Σ_n w_n (L_LM,n + α·L_CL,n) (Eq. 6), as the trainer computes it: two
/// forwards (view A = the input; view B = the paraphrased input, or the input again under new dropout masks), the
/// per-example LM term (both passes averaged for the dropout view, as R-Drop; view A only for a paraphrase view, as
/// CrossConST) and the per-example consistency. Weights are constants: no gradient flows through w.
/// </summary>
public static class CclLoss
{
    /// <summary>Per-example terms [B] and what the trainer hands on to hooks (view A's logits and per-token loss).</summary>
    public sealed record Terms(Tensor Lm, Tensor Consistency, Tensor NllA, Tensor LogitsA, Tensor PerTokenCeA);

    /// <param name="paraphrased">Per row: true when view B is a paraphrase (LM on view A only), false for the dropout view.</param>
    public static Terms Compute(TransformerModel model, TokenBatch a, TokenBatch b, IReadOnlyList<bool> paraphrased)
    {
        if (paraphrased.Count != a.Rows) throw new ArgumentException($"{paraphrased.Count} view flags for {a.Rows} rows.");
        var logitsA = model.Forward(a.Ids, a.KeyMask);
        var logitsB = model.Forward(b.Ids, b.KeyMask);
        var ceA = PerTokenCe(logitsA, a);
        var nllA = CclConsistency.MeanNll(ceA, a);
        var nllB = CclConsistency.MeanNll(PerTokenCe(logitsB, b), b);
        var coefA = paraphrased.Select(p => p ? 1.0 : 0.5).ToArray();
        var coefB = paraphrased.Select(p => p ? 0.0 : 0.5).ToArray();
        var lm = Ops.Add(Ops.Mul(nllA, Vector(coefA, nllA)), Ops.Mul(nllB, Vector(coefB, nllB)));
        return new Terms(lm, CclConsistency.PerExample(logitsA, a, logitsB, b), nllA, logitsA, ceA);
    }

    /// <summary>Σ_b w_b (L_LM,b + α·L_CL,b) / <paramref name="stepExamples"/>: the micro-batch's part of the step loss.</summary>
    public static Tensor Total(Terms t, IReadOnlyList<double> weights, double alpha, int stepExamples) =>
        Ops.Add(Weighted(t.Lm, weights, stepExamples), Weighted(Ops.Scale(t.Consistency, alpha), weights, stepExamples));

    /// <summary>Σ_b w_b v_b / n.</summary>
    public static Tensor Weighted(Tensor values, IReadOnlyList<double> weights, double n)
    {
        if (weights.Count != values.NumElements) throw new ArgumentException($"{weights.Count} weights for {values.NumElements} values.");
        return Ops.Sum(Ops.Mul(values, Vector(weights.Select(w => w / Math.Max(1, n)).ToArray(), values)));
    }

    public static Tensor PerTokenCe(Tensor logits, TokenBatch batch)
    {
        int b = batch.Rows, t = batch.Time, v = logits.Size(-1);
        return Ops.CrossEntropy(logits.Reshape(b * t, v), batch.Targets.Reshape(b * t), LabelMask.Ignore, Reduction.None).Reshape(b, t);
    }

    private static Tensor Vector(double[] values, Tensor like)
    {
        var x = Tensor.FromArray(values, values.Length).To(like.DType);
        return like.Device.IsCpu ? x : x.To(like.Device);
    }
}
