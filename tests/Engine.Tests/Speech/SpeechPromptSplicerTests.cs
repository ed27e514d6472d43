using Engine.Models.Speech;
using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Speech;

public class SpeechPromptSplicerTests
{
    private static float[] At(Tensor x, int b, int t)
    {
        int T = x.Size(1), h = x.Size(2);
        return x.ToArray<float>().Skip((b * T + t) * h).Take(h).ToArray();
    }

    [Fact]
    public void RowsArePrefixSpeechSuffixTargetWithLabelsOnTheTargetOnly()
    {
        var table = Rand.N(1, DType.F32, 20, 4);
        float[] Emb(int id) => table.ToArray<float>().Skip(id * 4).Take(4).ToArray();
        var speech = new SpeechTokens(Rand.N(2, DType.F32, 2, 3, 4), [3, 1]);
        SpeechPromptItem[] items = [new([1, 5], [7], [9, 10]), new([1], [7, 8], [11])];
        var r = SpeechPromptSplicer.Build(table, items, speech);
        // Row 0: 2 + 3 + 1 + 2 = 8; row 1: 1 + 1 + 2 + 1 = 5, right-padded to 8.
        Assert.Equal([2, 8, 4], r.Embeddings.ShapeArray());
        Assert.Equal([8, 5], r.Lengths);
        Assert.Equal([2, 1], r.SpeechStart);
        Assert.Equal(Emb(5), At(r.Embeddings, 0, 1));
        Assert.Equal(At(speech.Embeddings, 0, 2), At(r.Embeddings, 0, 4));
        Assert.Equal(Emb(7), At(r.Embeddings, 0, 5));
        Assert.Equal(Emb(10), At(r.Embeddings, 0, 7));
        Assert.Equal(At(speech.Embeddings, 1, 0), At(r.Embeddings, 1, 1));  // only 1 of row 1's 3 speech tokens is real
        Assert.Equal(Emb(8), At(r.Embeddings, 1, 3));
        Assert.Equal(new float[4], At(r.Embeddings, 1, 6));
        Assert.Equal([1L, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0], r.KeyMask.ToArray<long>());
        long I = SpeechPromptSplicer.IgnoreIndex;
        Assert.Equal([I, I, I, I, I, I, 9, 10, I, I, I, I, 11, I, I, I], r.Labels);
    }

    [Fact]
    public void LeftPaddingEndsEveryRowTogether()
    {
        var table = Rand.N(1, DType.F32, 20, 4);
        var speech = new SpeechTokens(Rand.N(2, DType.F32, 2, 2, 4), [2, 1]);
        var r = SpeechPromptSplicer.Build(table, [new([1, 2], [3], []), new([1], [3], [])], speech, padLeft: true);
        Assert.Equal([5, 3], r.Lengths);
        Assert.Equal([2, 3], r.SpeechStart);
        Assert.Equal([1L, 1, 1, 1, 1, 0, 0, 1, 1, 1], r.KeyMask.ToArray<long>());
        Assert.Equal(At(speech.Embeddings, 1, 0), At(r.Embeddings, 1, 3));
    }

    [Fact]
    public void GradientReachesOnlyTheRealSpeechTokens()
    {
        var table = Rand.N(1, DType.F32, 20, 4);
        var tokens = Rand.N(3, DType.F32, 2, 3, 4);
        tokens.RequiresGrad = true;
        var r = SpeechPromptSplicer.Build(table, [new([1], [2], [3]), new([1], [2], [3])], new SpeechTokens(tokens, [3, 2]));
        Ops.Sum(r.Embeddings).Backward();
        var g = tokens.Grad!.ToArray<float>();
        Assert.All(g.Take(3 * 4 + 2 * 4), v => Assert.Equal(1f, v));
        Assert.All(g.Skip(3 * 4 + 2 * 4), v => Assert.Equal(0f, v)); // row 1's third window lies past its audio
    }

    [Fact]
    public void MismatchedWidthsAreNamed()
    {
        var ex = Assert.Throws<ArgumentException>(() => SpeechPromptSplicer.Build(Rand.N(1, DType.F32, 20, 5), [new([1], [2], [])], new SpeechTokens(Rand.N(2, DType.F32, 1, 2, 4), [2])));
        Assert.Contains("does not match the speech tokens' width 4", ex.Message);
    }
}
