using Engine.Methods.Pruning.DRPruning;

namespace Engine.Tests.Pruning;

/// <summary>The size side of L0 pruning against the published numbers and against counts made weight by weight.</summary>
public class PruningFormulaTests
{
    [Fact]
    public void PrunableSizesAndSparsitiesOfTheLlamaTargetsAreThePublishedOnes()
    {
        // LLaMA-2-7B: 32 layers, d 4096, 32 heads of 128, MLP 11008 → 2.7B (2560/20/32/6912) and 1.3B (2048/16/24/5504).
        long source = PruningFormulas.PrunableSize(4096, 32, 32, 32, 128, 11008);
        Assert.Equal(6_476_005_376, source);
        long t27 = PruningFormulas.PrunableSize(2560, 32, 20, 20, 128, 6912), t13 = PruningFormulas.PrunableSize(2048, 24, 16, 16, 128, 5504);
        Assert.Equal(2_537_553_920, t27);
        Assert.Equal(1_214_251_008, t13);
        Assert.Equal(0.60816, PruningFormulas.Sparsity(source, t27), 5);
        Assert.Equal(0.8125, PruningFormulas.Sparsity(source, t13), 4);
    }

    [Fact]
    public void ModuleTargetsOfTheSevenToTwoPointSevenRunAreThePublishedOnes()
    {
        var src = new Engine.Models.Config.ModelConfig { ModelType = "llama", HiddenSize = 4096, NumLayers = 32, NumHeads = 32, NumKvHeads = 32, HeadDim = 128, IntermediateSize = 11008, VocabSize = 32000 };
        var l0 = new L0Module(src with { }, new TargetShape(2560, 20, 20, 32, 6912), seed: 1, warmupSteps: 640);
        Assert.Equal(0.375, l0.Heads.TargetSparsity, 6);
        Assert.Equal(0.3721, l0.Intermediate.TargetSparsity, 4);
        Assert.Equal(0.375, l0.Hidden.TargetSparsity, 6);
        Assert.Equal(0.0, l0.Layer.TargetSparsity, 6);
        Assert.False(l0.GatesKvGroups);
    }

    [Fact]
    public void ExpectedSizeOfBinaryScoresIsTheHandCount()
    {
        // H 4 (dims 0,1,3 kept), L 2, 4 query heads over 2 KV groups of head_dim 2, MLP 3.
        // Layer 0 keeps group 0 (query heads 0,1 and its k/v head) and units 0,1; layer 1 keeps both groups and unit 1.
        //   q: kept heads × head_dim rows × kept dims; k, v: kept groups × head_dim rows × dims; o: dims × kept head columns.
        //   layer 0: q 2·2·3 = 12, k 1·2·3 = 6, v 6, o 3·4 = 12 → 36; MLP: 2 units × 3 matrices × 3 dims = 18.
        //   layer 1: q 4·2·3 = 24, k 12, v 12, o 24 → 72; MLP: 1 × 3 × 3 = 9.   Total 36 + 18 + 72 + 9 = 135.
        double[] hidden = [1, 1, 0, 1];
        double[,] groups = { { 1, 0 }, { 1, 1 } };
        double[,] units = { { 1, 1, 0 }, { 0, 1, 0 } };
        Assert.Equal(135.0, PruningFormulas.ExpectedParameters(hidden, groups, units, [1, 1], headDim: 2, heads: 4, kvHeads: 2), 9);
        // A zero layer gate removes its layer's heads and units: layer 1 alone is 72 + 9 = 81.
        Assert.Equal(81.0, PruningFormulas.ExpectedParameters(hidden, groups, units, [0, 1], 2, 4, 2), 9);
        // Everything kept is the full prunable size.
        Assert.Equal(PruningFormulas.PrunableSize(4, 2, 4, 2, 2, 3), PruningFormulas.ExpectedParameters([1, 1, 1, 1], new double[,] { { 1, 1 }, { 1, 1 } },
            new double[,] { { 1, 1, 1 }, { 1, 1, 1 } }, [1, 1], 2, 4, 2), 9);
    }

    [Fact]
    public void ExpectedSizeOfFractionalScoresIsTheSumOverEveryWeight()
    {
        // Linearity of expectation, weight by weight: a weight survives with the product of the gates that touch it.
        int h = 5, l = 3, hq = 6, hkv = 2, d = 3, im = 4, rep = hq / hkv;
        var rng = new Random(7);
        double R() => 0.05 + 0.9 * rng.NextDouble();
        var hidden = Enumerable.Range(0, h).Select(_ => R()).ToArray();
        var groups = new double[l, hkv]; var units = new double[l, im]; var layers = Enumerable.Range(0, l).Select(_ => R()).ToArray();
        for (int i = 0; i < l; i++) { for (int g = 0; g < hkv; g++) groups[i, g] = R(); for (int u = 0; u < im; u++) units[i, u] = R(); }
        double brute = 0;
        for (int i = 0; i < l; i++)
            for (int c = 0; c < h; c++)
            {
                for (int head = 0; head < hq; head++)
                    for (int j = 0; j < d; j++)
                        brute += 2 * hidden[c] * groups[i, head / rep] * layers[i];          // q row and o column of this head dim
                for (int g = 0; g < hkv; g++)
                    for (int j = 0; j < d; j++)
                        brute += 2 * hidden[c] * groups[i, g] * layers[i];                   // k and v rows of the group
                for (int u = 0; u < im; u++) brute += 3 * hidden[c] * units[i, u] * layers[i];  // gate, up rows and down column
            }
        double formula = PruningFormulas.ExpectedParameters(hidden, groups, units, layers, d, hq, hkv);
        Assert.True(Math.Abs(formula - brute) <= 1e-9 * brute, $"formula {formula} vs weight-by-weight {brute}");
    }

    [Fact]
    public void TargetRampsLinearlyOverTheWarmup()
    {
        Assert.Equal(0.0, PruningFormulas.RampedTarget(0.6, 0, 640));
        Assert.Equal(0.3, PruningFormulas.RampedTarget(0.6, 320, 640), 12);
        Assert.Equal(0.6, PruningFormulas.RampedTarget(0.6, 640, 640), 12);
        Assert.Equal(0.6, PruningFormulas.RampedTarget(0.6, 3000, 640), 12);
        Assert.Equal(0.6, PruningFormulas.RampedTarget(0.6, 0, 0), 12);
    }

    [Fact]
    public void LagrangianTermAndItsMultiplierGradients()
    {
        // Rows ŝ = 0.2, 0.4 against t = 0.5: mean(ŝ − t) = −0.2, mean((ŝ − t)²) = (0.09 + 0.01)/2 = 0.05.
        double[] s = [0.2, 0.4];
        Assert.Equal(3 * -0.2 + 2 * 0.05, PruningFormulas.LagrangianTerm(s, 0.5, 3, 2), 12);
        var (g1, g2) = PruningFormulas.LagrangianLambdaGradient(s, 0.5);
        Assert.Equal(-0.2, g1, 12);
        Assert.Equal(0.05, g2, 12);
    }
}
