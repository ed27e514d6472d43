using Engine.Models.Generation;
using Engine.Models.Transformer;
using Engine.Runtime;
using Engine.Tests.Models;

namespace Engine.Tests.Sampling;

/// <summary>TextGenerator (KV cache, SampleTokens op) against re-forwarding the whole sequence and sampling each
/// step's last row with TokenSampler, the per-row host path it replaced.</summary>
public class GeneratorSamplingTests
{
    [Fact]
    public void GenerateSamplesLikePerRowTokenSamplerWithFullReforwarding()
    {
        var model = TransformerModel.Load(TransformerParityTests.FixtureDir("qwen2_bias"));
        var gen = new TextGenerator(model, tokenizer: null);
        var o = new SamplingOptions { MaxNewTokens = 10, EosTokenIds = [], Temperature = 1.3, TopK = 30, TopP = 0.97, RepetitionPenalty = 1.4, Seed = 77 };
        int[][] prompts = [[5, 9, 17, 3, 44], [71, 2, 30]];
        const ulong firstRow = 3;
        var results = gen.Generate(prompts, o, firstRow: firstRow);
        using var _ = Autograd.NoGrad();
        for (int r = 0; r < prompts.Length; r++)
        {
            var seq = prompts[r].ToList();
            var want = new List<int>();
            var wantLp = new List<double>();
            for (int step = 0; step < o.MaxNewTokens; step++)
            {
                var logits = model.Forward(Tensor.FromArray(seq.Select(t => (long)t).ToArray(), 1, seq.Count)).ToArray<float>();
                int v = model.Config.VocabSize;
                var row = logits[((seq.Count - 1) * v)..(seq.Count * v)];
                var orig = (float[])row.Clone();
                int tok = TokenSampler.Next(row, o, seq.ToArray(), o.Seed, ((firstRow + (ulong)r) << 24) | (uint)step);
                want.Add(tok); wantLp.Add(TokenSampler.LogProb(orig, tok));
                seq.Add(tok);
            }
            Assert.Equal(want, results[r].TokenIds);
            for (int i = 0; i < want.Count; i++) Assert.Equal(wantLp[i], results[r].LogProbs[i], 1e-4);
            Assert.True(want.Distinct().Count() > 2, "the sampled continuation should not be constant");
        }
    }
}
