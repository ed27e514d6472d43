using Engine.Models.Transformer;
using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Models;

/// <summary>The forward from input embeddings (transformers' inputs_embeds) and embeddings spliced among token embeddings.</summary>
public class InputsEmbedsTests
{
    private static readonly long[] Ids = [3, 9, 1, 14, 7, 22, 5, 11, 2, 8, 19, 6, 13, 4];
    private static readonly long[] PaddingMask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0];

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.BF16)] // autocast: bf16 matmuls inside the model's own scope
    public void TokenEmbeddingsGiveTheTokenForwardWithPadding(DType dtype)
    {
        var model = HookModels.Tiny(dtype);
        var ids = Tensor.FromArray(Ids, 2, 7);
        var mask = Tensor.FromArray(PaddingMask, 2, 7);
        using var _ = Autograd.NoGrad();
        var fromIds = model.Forward(ids, mask).ToFloatArray();
        var embeds = model.Embed(ids);
        Assert.Equal([2, 7, 16], embeds.ShapeArray());
        Assert.Equal(fromIds, model.ForwardFromEmbeddings(embeds, mask).ToFloatArray());
        // Different embeddings must change the output, or the comparison above proves nothing.
        Assert.NotEqual(fromIds, model.ForwardFromEmbeddings(Ops.Scale(embeds, 1.5), mask).ToFloatArray());
    }

    [Fact]
    public void PrefillFromEmbeddingsThenDecodeFromIdsContinuesTheTokenForward()
    {
        var model = HookModels.Tiny(DType.F32);
        // Left-padded batch of two prompts (row 0 has two pads), positions counting real tokens only, as generation does.
        long[] prompt = [0, 0, 3, 9, 1, 14, 7, 22, 5, 11];
        long[] promptMask = [0, 0, 1, 1, 1, 1, 1, 1, 1, 1];
        long[] positions = [0, 0, 0, 1, 2, 0, 1, 2, 3, 4];
        long[][] next = [[4, 17], [6, 12]];
        double[] Run(bool fromEmbeddings)
        {
            using var _ = Autograd.NoGrad();
            var cache = model.NewCache(2, 8);
            var ids = Tensor.FromArray(prompt, 2, 5);
            var mask = Tensor.FromArray(promptMask, 2, 5);
            var first = fromEmbeddings ? model.ForwardFromEmbeddings(model.Embed(ids), mask, positions, cache) : model.Forward(ids, mask, positions, cache);
            var outs = new List<double>(first.ToDoubleArray());
            var keys = promptMask.Chunk(5).Select(r => r.ToList()).ToArray();
            long[] pos = [3, 5];
            foreach (var step in next)
            {
                foreach (var k in keys) k.Add(1);
                var stepMask = Tensor.FromArray(keys.SelectMany(k => k).ToArray(), 2, keys[0].Count);
                outs.AddRange(model.Forward(Tensor.FromArray(step, 2, 1), stepMask, pos, cache).ToDoubleArray());
                pos = [pos[0] + 1, pos[1] + 1];
            }
            return [.. outs];
        }
        var viaEmbeddings = Run(true);
        Assert.Equal(Run(false), viaEmbeddings);
        // And both equal a full forward of the whole sequences without a cache (the last two positions).
        using var __ = Autograd.NoGrad();
        long[] full = [0, 0, 3, 9, 1, 4, 6, 14, 7, 22, 5, 11, 17, 12];
        long[] fullMask = [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
        long[] fullPos = [0, 0, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6];
        var reference = model.Forward(Tensor.FromArray(full, 2, 7), Tensor.FromArray(fullMask, 2, 7), fullPos).ToDoubleArray();
        int v = model.Config.VocabSize;
        for (int row = 0; row < 2; row++)
            for (int s = 0; s < 2; s++)
            {
                var expected = reference.AsSpan((row * 7 + 5 + s) * v, v).ToArray();
                var got = viaEmbeddings.AsSpan(2 * 5 * v + (s * 2 + row) * v, v).ToArray();
                Close.All(expected, got, 1e-5, 1e-5, $"row {row} decode step {s}");
            }
    }

    [Fact]
    public void SplicingTheTokensOwnEmbeddingsChangesNothingAndPlaceholdersAreIgnored()
    {
        var model = HookModels.Tiny(DType.F32);
        var ids = Tensor.FromArray(Ids, 2, 7);
        using var _ = Autograd.NoGrad();
        var table = model.EmbedTokens.ToFloatArray();
        Tensor Rows(params long[] tokens) => Tensor.FromArray(tokens.SelectMany(t => table.AsSpan((int)t * 16, 16).ToArray()).ToArray(), tokens.Length, 16);
        // Placeholder ids far outside the vocabulary under the splices: they must never be looked up.
        var withPlaceholders = Tensor.FromArray(new long[] { 3, 9, 999, 999, 7, 22, 5, 999, 2, 8, 19, 6, 13, 4 }, 2, 7);
        var spliced = model.EmbedWithSplices(withPlaceholders, [new EmbeddingSplice(0, 2, Rows(1, 14)), new EmbeddingSplice(1, 0, Rows(11))]);
        Assert.Equal(model.Embed(ids).ToFloatArray(), spliced.ToFloatArray());
    }

    [Fact]
    public void SplicedEmbeddingsChangeOnlyLaterPositions()
    {
        var model = HookModels.Tiny(DType.F32);
        var ids = Tensor.FromArray(Ids, 2, 7);
        using var _ = Autograd.NoGrad();
        var plain = model.Forward(ids).ToFloatArray();
        var speech = Tensor.RandN([3, 16], 5, 1.0);
        var logits = model.ForwardFromEmbeddings(model.EmbedWithSplices(ids, [new EmbeddingSplice(1, 3, speech)])).ToFloatArray();
        int v = model.Config.VocabSize;
        bool Same(int row, int pos) => plain.AsSpan((row * 7 + pos) * v, v).SequenceEqual(logits.AsSpan((row * 7 + pos) * v, v));
        for (int pos = 0; pos < 7; pos++) Assert.True(Same(0, pos), $"row 0 (no splice) changed at {pos}");
        for (int pos = 0; pos < 3; pos++) Assert.True(Same(1, pos), $"row 1 changed before the splice, at {pos}");
        for (int pos = 3; pos < 7; pos++) Assert.False(Same(1, pos), $"row 1 unchanged at {pos}, after the splice");
    }

    [Fact]
    public void SplicedEmbeddingsGetGradientsAndAFrozenTableGetsNone()
    {
        var model = HookModels.Tiny(DType.F64);
        var ids = Tensor.FromArray(Ids, 2, 7);
        var mask = Tensor.FromArray(PaddingMask, 2, 7);
        var speech = Rand.Param(11, 3, 16);
        var other = Rand.Param(12, 2, 16);
        var targets = Tensor.FromArray(new long[] { 9, 1, 14, 7, -100, -100, 11, -100, -100, 19, 6, -100, -100, -100 }, 2, 7);
        GradCheck.Check(x => Ops.CrossEntropy(model.ForwardFromSplices(ids, mask, x), targets).Reshape(1), [speech, other], maxPerInput: 20);
        Assert.Null(model.EmbedTokens.Grad);
    }

    [Fact]
    public void ATrainableTableGetsGradientsOnlyAtTokenPositions()
    {
        var model = HookModels.Tiny(DType.F64);
        model.RequireGrad();
        var ids = Tensor.FromArray(Ids, 2, 7);
        var speech = Rand.Param(11, 2, 16);
        // Token 1 appears only under the splice (row 0, positions 2..3 hold 1 and 14; 14 appears nowhere else either).
        var logits = model.ForwardFromEmbeddings(model.EmbedWithSplices(ids, [new EmbeddingSplice(0, 2, speech)]));
        Ops.Sum(Ops.Mul(logits, Tensor.RandN(logits.Shape, 3, 1.0, DType.F64))).Backward();
        var grad = model.EmbedTokens.Grad!.ToDoubleArray();
        double Norm(int token) => grad.AsSpan(token * 16, 16).ToArray().Sum(x => x * x);
        Assert.Equal(0, Norm(1));
        Assert.Equal(0, Norm(14));
        Assert.True(Norm(3) > 0 && Norm(7) > 0, "tokens outside the splice must get gradients");
        Assert.NotNull(speech.Grad);
    }

    [Fact]
    public void OverlappingOrOverlongSplicesAreClearErrors()
    {
        var model = HookModels.Tiny(DType.F32);
        var ids = Tensor.FromArray(Ids, 2, 7);
        var e = Assert.Throws<ArgumentException>(() => model.EmbedWithSplices(ids, [new(0, 1, Tensor.Zeros([3, 16])), new(0, 2, Tensor.Zeros([1, 16]))]));
        Assert.Contains("row 0", e.Message);
        Assert.Throws<ArgumentException>(() => model.EmbedWithSplices(ids, [new(1, 5, Tensor.Zeros([3, 16]))]));
        Assert.Throws<ArgumentException>(() => model.EmbedWithSplices(ids, [new(1, 0, Tensor.Zeros([2, 8]))]));
        Assert.Throws<ArgumentException>(() => model.ForwardFromEmbeddings(Tensor.Zeros([2, 7, 8])));
    }
}

internal static class SpliceForward
{
    /// <summary>Logits with two splices: x[0] [3, H] at row 0 positions 2..4, x[1] [2, H] at row 1 positions 0..1.</summary>
    public static Tensor ForwardFromSplices(this TransformerModel model, Tensor ids, Tensor mask, Tensor[] x) =>
        model.ForwardFromEmbeddings(model.EmbedWithSplices(ids, [new EmbeddingSplice(0, 2, x[0]), new EmbeddingSplice(1, 0, x[1])]), mask);
}
