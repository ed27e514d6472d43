using Engine.Models.Generation;
using Engine.Models.Transformer;
using Engine.Tests.Models;

namespace Engine.Tests.Sampling;

/// <summary>Generation with explicit Philox rows and a fixed padded length: what sharded and multi-sample jobs use.</summary>
public class GeneratorRowIdsTests
{
    private static readonly SamplingOptions Sampled = new() { MaxNewTokens = 8, EosTokenIds = [], Temperature = 1.2, TopP = 0.95, RepetitionPenalty = 1.2, Seed = 21 };

    [Fact]
    public void RowIdsDrawTheSameStreamsAsConsecutiveRows()
    {
        var gen = new TextGenerator(TransformerModel.Load(TransformerParityTests.FixtureDir("qwen2_bias")), tokenizer: null);
        int[][] prompts = [[5, 9, 17, 3, 44], [71, 2, 30], [8, 8, 1, 40]];
        var batched = gen.Generate(prompts, Sampled, firstRow: 6);
        var perRow = gen.Generate(prompts, Sampled, [6UL, 7, 8], padTo: 0);
        for (int r = 0; r < 3; r++)
        {
            Assert.Equal(batched[r].TokenIds, perRow[r].TokenIds);
            Assert.Equal(batched[r].LogProbs, perRow[r].LogProbs);
        }
    }

    [Fact]
    public void WithAFixedShapeARowDoesNotDependOnItsBatch()
    {
        var gen = new TextGenerator(TransformerModel.Load(TransformerParityTests.FixtureDir("qwen2_bias")), tokenizer: null);
        int[] mine = [5, 9, 17, 3, 44];
        // The same row (Philox row 40) among different companions, in another slot, padded to the same length.
        var a = gen.Generate([mine, [71, 2, 30], [1, 2]], Sampled, [40UL, 3, 9], padTo: 8)[0];
        var b = gen.Generate([[60, 61, 62, 63, 64, 65, 66], [7], mine], Sampled, [12UL, 13, 40], padTo: 8)[2];
        Assert.Equal(a.TokenIds, b.TokenIds);
        Assert.Equal(a.LogProbs, b.LogProbs);   // bit for bit
        // A batch with no padding at all (no mask) gives the row the same numbers as one with padding.
        var full = gen.Generate([mine, [1, 2, 3, 4, 5]], Sampled, [40UL, 1], padTo: 5)[0];
        var padded = gen.Generate([mine, [1, 2]], Sampled, [40UL, 1], padTo: 5)[0];
        Assert.Equal(full.LogProbs, padded.LogProbs);
        // Another row id is another stream.
        var c = gen.Generate([mine, [71, 2, 30], [1, 2]], Sampled, [41UL, 3, 9], padTo: 8)[0];
        Assert.NotEqual(a.TokenIds, c.TokenIds);
    }
}
