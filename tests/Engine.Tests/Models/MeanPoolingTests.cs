using Engine.Models.Embeddings;
using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Models;

/// <summary>Mean-pooled text embeddings, transformers-style hidden_states, and cosine similarity.</summary>
public class MeanPoolingTests
{
    private static readonly int[] Short = [3, 9, 1, 14];
    private static readonly int[] Long = [7, 22, 5, 11, 2, 8, 19];

    [Fact]
    public void PaddingDoesNotChangeARowsEmbedding()
    {
        var model = HookModels.Tiny(DType.F32);
        var alone = new MeanPooledEmbedder(model).Embed([Short])[0];
        var batched = new MeanPooledEmbedder(model, batchSize: 4).Embed([Long, Short, [4, 4]]);
        Close.All(alone.Select(x => (double)x).ToArray(), batched[1].Select(x => (double)x).ToArray(), 1e-6, 1e-5, "padded row");
        Assert.Equal(16, batched[0].Length);
        Assert.NotEqual(batched[0], batched[1]);
    }

    [Fact]
    public void EqualsTheMeanOfForwardHiddenOverTheTokens()
    {
        var model = HookModels.Tiny(DType.F64);
        double[] hidden;
        using (Autograd.NoGrad()) hidden = model.ForwardHidden(Tensor.FromArray(Long.Select(x => (long)x).ToArray(), 1, Long.Length)).ToDoubleArray();
        var expected = new double[16];
        for (int t = 0; t < Long.Length; t++) for (int h = 0; h < 16; h++) expected[h] += hidden[t * 16 + h] / Long.Length;
        var got = new MeanPooledEmbedder(model).Embed([Short, Long])[1];
        Close.All(expected, got.Select(x => (double)x).ToArray(), 1e-6, 1e-6, "pooled");
    }

    [Fact]
    public void HiddenStatesFollowTransformersIndexing()
    {
        var model = HookModels.Tiny(DType.F64, layers: 3);
        var ids = Tensor.FromArray(Long.Select(x => (long)x).ToArray(), 1, Long.Length);
        using var _ = Autograd.NoGrad();
        Assert.Equal(model.Embed(ids).ToDoubleArray(), model.HiddenStates(ids, null, 0).ToDoubleArray());
        Assert.Equal(model.ForwardHidden(ids).ToDoubleArray(), model.HiddenStates(ids, null, 3).ToDoubleArray());
        // hidden_states[2]: the output of decoder layer 1, run here layer by layer through the public layer API.
        var (cos, sin) = model.Rotary.Tables(Enumerable.Range(0, Long.Length).ToArray(), DType.F64);
        var x = model.Embed(ids);
        for (int i = 0; i < 2; i++) x = model.Layers[i].Forward(x, cos.Unsqueeze(0), sin.Unsqueeze(0), null, null, model.Config);
        Assert.Equal(x.ToDoubleArray(), model.HiddenStates(ids, null, 2).ToDoubleArray());
        var fromLayer = new MeanPooledEmbedder(model, layer: 2).Embed([Long])[0];
        Assert.Equal(16, fromLayer.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MeanPooledEmbedder(model, layer: 4));
    }

    [Fact]
    public void CosineMatrixAgreesWithPairsAndHasExactGradients()
    {
        var a = Rand.N(1, DType.F32, 3, 8);
        var b = Rand.N(2, DType.F32, 4, 8);
        var m = CosineSimilarity.Matrix(a, b).ToFloatArray();
        var af = a.ToFloatArray(); var bf = b.ToFloatArray();
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++)
                Assert.Equal(CosineSimilarity.Of(af.AsSpan(i * 8, 8), bf.AsSpan(j * 8, 8)), m[i * 4 + j], 5);
        Assert.Equal(1.0, CosineSimilarity.Of(af.AsSpan(0, 8), af.AsSpan(0, 8).ToArray().Select(x => 3 * x).ToArray()), 12);
        Assert.Equal(0.0, CosineSimilarity.Of(af.AsSpan(0, 8), new float[8]));
        GradCheck.Check(x => CosineSimilarity.Matrix(x[0], x[1]), [Rand.Param(3, 3, 5), Rand.Param(4, 2, 5)]);
    }

    [Fact]
    public void EmptyTextsAreClearErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => new MeanPooledEmbedder(HookModels.Tiny(DType.F32)).Embed([Short, []]));
        Assert.Contains("Sequence 1", e.Message);
    }
}
