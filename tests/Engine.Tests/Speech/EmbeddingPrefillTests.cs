using Engine.Models.Generation;
using Engine.Runtime;
using Engine.Tests.Models;

namespace Engine.Tests.Speech;

/// <summary>
/// TextGenerator's prompt-from-embeddings hook (what lsm generate decodes with): when the embeddings are the prompt
/// tokens' own embeddings, left-padded, it must give exactly what generation from the ids gives.
/// </summary>
public class EmbeddingPrefillTests
{
    private static readonly int[][] Prompts = [[3, 9, 1, 14, 7], [6, 12], [2, 8, 19, 5]];

    private static (Tensor Embeddings, long[] Mask) LeftPaddedEmbeddings(Engine.Models.Transformer.TransformerModel model, int[][] prompts)
    {
        int t = prompts.Max(p => p.Length);
        var ids = new long[prompts.Length * t];
        var mask = new long[prompts.Length * t];
        for (int r = 0; r < prompts.Length; r++)
            for (int j = 0; j < prompts[r].Length; j++) { ids[r * t + t - prompts[r].Length + j] = prompts[r][j]; mask[r * t + t - prompts[r].Length + j] = 1; }
        using var _ = Autograd.NoGrad();
        return (model.Embed(Tensor.FromArray(ids, prompts.Length, t)), mask);
    }

    [Theory]
    [InlineData(0.0, 1.0)]   // greedy
    [InlineData(1.3, 1.0)]   // sampled: the same Philox rows
    [InlineData(0.9, 1.4)]   // with a repetition penalty over the prompt ids and the generated tokens
    public void TokenEmbeddingsGiveTheIdsResult(double temperature, double penalty)
    {
        var model = HookModels.Tiny(DType.F32);
        var gen = new TextGenerator(model, null);
        var o = new SamplingOptions { MaxNewTokens = 9, Temperature = temperature, RepetitionPenalty = penalty, Seed = 77, EosTokenIds = [] };
        ulong[] rows = [5, 0, 11];
        var fromIds = gen.Generate(Prompts, o, rows, padTo: 0);
        var (emb, mask) = LeftPaddedEmbeddings(model, Prompts);
        var fromEmbeddings = gen.GenerateFromEmbeddings(emb, mask, o, rows, contextIds: Prompts);
        for (int r = 0; r < Prompts.Length; r++)
        {
            Assert.Equal(fromIds[r].TokenIds, fromEmbeddings[r].TokenIds);
            Assert.Equal(fromIds[r].LogProbs, fromEmbeddings[r].LogProbs);
            Assert.Equal(9, fromEmbeddings[r].TokenIds.Length);
        }
        // Other embeddings must give other tokens, or the equality above proves nothing.
        var other = gen.GenerateFromEmbeddings(Ops.Scale(emb, -2.0), mask, o, rows, contextIds: Prompts);
        Assert.Contains(Enumerable.Range(0, Prompts.Length), r => !other[r].TokenIds.SequenceEqual(fromIds[r].TokenIds));
    }

    [Fact]
    public void ARowDoesNotDependOnItsBatch()
    {
        var model = HookModels.Tiny(DType.F32);
        var gen = new TextGenerator(model, null);
        var o = new SamplingOptions { MaxNewTokens = 6, EosTokenIds = [] };
        var (all, mask) = LeftPaddedEmbeddings(model, Prompts);
        var (one, oneMask) = LeftPaddedEmbeddings(model, [Prompts[1]]);
        var together = gen.GenerateFromEmbeddings(all, mask, o);
        var alone = gen.GenerateFromEmbeddings(one, oneMask, o);
        Assert.Equal(alone[0].TokenIds, together[1].TokenIds);
    }

    [Fact]
    public void RejectsMasksThatAreNotLeftPadding()
    {
        var model = HookModels.Tiny(DType.F32);
        var gen = new TextGenerator(model, null);
        var (emb, _) = LeftPaddedEmbeddings(model, [[1, 2, 3]]);
        var o = new SamplingOptions { MaxNewTokens = 2 };
        Assert.Contains("not left-padded", Assert.Throws<ArgumentException>(() => gen.GenerateFromEmbeddings(emb, [1, 0, 1], o)).Message);
        Assert.Contains("no real position", Assert.Throws<ArgumentException>(() => gen.GenerateFromEmbeddings(emb, [0, 0, 0], o)).Message);
        Assert.Contains("0 or 1", Assert.Throws<ArgumentException>(() => gen.GenerateFromEmbeddings(emb, [0, 2, 1], o)).Message);
        Assert.Contains("holds 2 values", Assert.Throws<ArgumentException>(() => gen.GenerateFromEmbeddings(emb, [1, 1], o)).Message);
    }
}
