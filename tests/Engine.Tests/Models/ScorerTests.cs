using Engine.Models.Scoring;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Tests.Models;

public class ScorerTests
{
    private static double[] LogSoftmaxRow(double[] logits, int row, int v)
    {
        var r = logits.AsSpan(row * v, v).ToArray();
        double max = r.Max(), lse = max + Math.Log(r.Sum(x => Math.Exp(x - max)));
        return r.Select(x => x - lse).ToArray();
    }

    [Fact]
    public void TokenLogProbsEqualTheFullSoftmaxOfEachSequenceAlone()
    {
        var model = TransformerModel.Load(TransformerParityTests.FixtureDir("qwen2_bias"));
        int v = model.Config.VocabSize;
        int[][] seqs = [[4, 8, 15, 16, 23, 42], [7, 1], [99, 3, 5, 60]];
        var scored = new Scorer(model, batchSize: 2).Score(seqs);
        for (int s = 0; s < seqs.Length; s++)
        {
            double[] logits;
            using (Autograd.NoGrad())
                logits = model.Forward(Tensor.FromArray(seqs[s].Select(x => (long)x).ToArray(), 1, seqs[s].Length)).ToDoubleArray();
            Assert.Equal(seqs[s].Length - 1, scored[s].TokenLogProbs.Length);
            for (int t = 0; t + 1 < seqs[s].Length; t++)
                Assert.Equal(LogSoftmaxRow(logits, t, v)[seqs[s][t + 1]], scored[s].TokenLogProbs[t], 4);
            Assert.Equal(scored[s].TokenLogProbs.Sum(), scored[s].LogProbSum, 10);
        }
    }

    [Fact]
    public void CandidateProbabilitiesAreTheNextTokenSoftmaxAtTheLastPromptPosition()
    {
        var model = TransformerModel.Load(TransformerParityTests.FixtureDir("llama3_rope"));
        int v = model.Config.VocabSize;
        int[][] prompts = [[5, 6, 7], [10, 20, 30, 40, 50], [3]];
        int[] candidates = [11, 12, 13, 14, 15];
        var probs = new Scorer(model, batchSize: 3).CandidateProbabilities(prompts, candidates);
        for (int p = 0; p < prompts.Length; p++)
        {
            double[] logits;
            using (Autograd.NoGrad())
                logits = model.Forward(Tensor.FromArray(prompts[p].Select(x => (long)x).ToArray(), 1, prompts[p].Length)).ToDoubleArray();
            var lsm = LogSoftmaxRow(logits, prompts[p].Length - 1, v);
            for (int c = 0; c < candidates.Length; c++) Assert.Equal(Math.Exp(lsm[candidates[c]]), probs[p][c], 5);
        }
    }
}
