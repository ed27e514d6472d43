using Engine.Diagnostics.Cases.Loss;
using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Loss;

public class TokenLogProbsTests
{
    [Fact]
    public void MatchesLogSoftmaxGather()
    {
        const int vocab = 101;
        var logits = Tensor.RandN([3, 5, vocab], 1, 2.0, DType.F64);
        var ids = Rand.Ids(2, vocab, 3, 5);
        var x = logits.ToDoubleArray(); var idv = ids.ToArray<long>();
        var expected = idv.Select((id, i) => LossReference.LogSoftmaxRow(x, i, vocab)[id]).ToArray();
        var y = Ops.TokenLogProbs(logits, ids);
        Assert.Equal(new[] { 3, 5 }, y.ShapeArray());
        Close.All(expected, y.ToDoubleArray(), 1e-13, 1e-13);
        Close.All(expected, Ops.TokenLogProbs(logits.To(DType.F32), ids).ToDoubleArray(), 1e-5, 1e-5, "f32");
    }

    [Fact]
    public void GradCheck3x5()
    {
        var logits = Rand.Param(3, 3, 5, 37);
        var ids = Rand.Ids(4, 37, 3, 5);
        GradCheck.Check(xs => Ops.TokenLogProbs(xs[0], ids), [logits], maxPerInput: 96);
    }

    [Fact]
    public void NegativeIdIsAnErrorNotAnIgnoredPosition()
    {
        var logits = Rand.N(1, DType.F32, 2, 7);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.TokenLogProbs(logits, Tensor.FromArray(new long[] { 1, -100 }, 2)));
    }

    [Fact]
    public void CandidateProbsAreFullVocabularySoftmaxEntries()
    {
        const int vocab = 53;
        var logits = Rand.Param(5, 6, vocab);
        var cand = new[] { 17, 18, 19, 20, 21 };
        var probs = Ops.CandidateProbs(logits, cand);
        Assert.Equal(new[] { 6, 5 }, probs.ShapeArray());
        Assert.False(probs.RequiresGrad); // inference only
        var x = logits.ToDoubleArray(); var pv = probs.ToDoubleArray();
        for (int i = 0; i < 6; i++)
        {
            double z = 0;
            for (int v = 0; v < vocab; v++) z += Math.Exp(x[i * vocab + v]);
            for (int k = 0; k < cand.Length; k++) Assert.Equal(Math.Exp(x[i * vocab + cand[k]]) / z, pv[i * 5 + k], 1e-14);
        }
        Close.All(pv, Ops.CandidateProbs(logits.To(DType.F32), cand).ToDoubleArray(), 1e-7, 1e-5, "f32");
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.CandidateProbs(logits, [3, vocab]));
    }
}
