using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Runtime;
using static Engine.Tests.Training.ToyTraining;

namespace Engine.Tests.Training;

/// <summary>
/// CCL's loss on the trainer: per-example weights w (a method's, through ExampleWeight) multiply both the LM loss and a
/// per-example extra term, here each example's token mean of CE² (non-linear in the logits, like a consistency KL).
/// </summary>
public class PerExampleLossTests
{
    private sealed class WeightedTermTrainer(TrainableModel m, IReadOnlyList<SftExample> data, TrainerOptions o, Func<int, double> weight,
        SftLossNormalization normalization, bool withTerm = true)
        : SftTrainer(m, data, o, sft: new SftOptions { Normalization = normalization })
    {
        protected override double ExampleWeight(bool training, int index) => weight(index);

        protected override IEnumerable<ExtraLoss> ExtraLosses(TrainingStepContext ctx)
        {
            if (!withTerm) yield break;
            var pt = ctx.PerTokenLoss!;
            var inv = Tensor.FromArray(ctx.Batch!.CountedTokens.Select(c => 1.0 / Math.Max(1, c)).ToArray()).To(pt.DType);
            var perExample = Ops.Mul(Ops.Sum(Ops.Mul(Ops.Mul(pt, pt), ctx.Batch.CountedMask(pt.DType)), 1), inv);
            yield return ExtraLoss.PerExample("consistency", perExample);
        }
    }

    private static readonly List<SftExample> Varied =
        new[] { "a", "bc", "def", "ghij", "klmno", "pq", "rstuvw", "x" }.Select(w => Sft(w + ".", new string(w.Reverse().ToArray()) + ".")).ToList();

    private static float[][] Run(IReadOnlyList<SftExample> data, int bs, int ga, Func<int, double> weight, SftLossNormalization norm, bool withTerm = true, double eps = 1.0)
    {
        var m = new TrainableModel(Model(71));
        // A large Adam ε makes the update ≈ lr·m, near-linear in the gradient, so summation-order rounding stays ~1e-7.
        new WeightedTermTrainer(m, data, new TrainerOptions { LearningRate = 3e-2, AdamEpsilon = eps, BatchSize = bs, GradientAccumulation = ga, MaxSteps = 3, LogSteps = 0, Seed = 4 },
            weight, norm, withTerm).Train();
        return Snapshot(m);
    }

    [Theory]
    [InlineData(SftLossNormalization.Tokens)]
    [InlineData(SftLossNormalization.ExampleMean)]
    public void WeightedPerExampleTermAccumulatesLikeOneBigBatch(SftLossNormalization norm)
    {
        static double W(int i) => 0.25 + 0.5 * (i % 3);
        var big = Run(Varied, 8, 1, W, norm);
        foreach (var (bs, ga) in new[] { (4, 2), (2, 4) })
        {
            var acc = Run(Varied, bs, ga, W, norm);
            for (int i = 0; i < big.Length; i++)
                for (int j = 0; j < big[i].Length; j++) Assert.Equal(big[i][j], acc[i][j], 6);
        }
        // The term and the weights both move the update (so the comparison above is about them).
        var noTerm = Run(Varied, 8, 1, W, norm, withTerm: false);
        var unweighted = Run(Varied, 8, 1, _ => 1.0, norm);
        Assert.Contains(Enumerable.Range(0, big.Length), i => big[i].Zip(noTerm[i]).Any(p => Math.Abs(p.First - p.Second) > 1e-4));
        Assert.Contains(Enumerable.Range(0, big.Length), i => big[i].Zip(unweighted[i]).Any(p => Math.Abs(p.First - p.Second) > 1e-4));
    }

    [Theory]
    [InlineData(SftLossNormalization.Tokens)]
    [InlineData(SftLossNormalization.ExampleMean)]
    public void WeightZeroRemovesAnExamplesContributionExactly(SftLossNormalization norm)
    {
        var a = ReverseTask(8);
        var b = a.ToList();
        b[3] = Sft("owl.", "lwo.");   // another example of the same length (same token count, same padding)
        Assert.NotEqual(a[3].InputIds, b[3].InputIds);
        static double W(int i) => i == 3 ? 0.0 : 1.0 + 0.1 * i;
        // The usual ε: any leak of example 3 into a gradient would show in the update.
        var withA = Run(a, 4, 2, W, norm, eps: 1e-8);
        var withB = Run(b, 4, 2, W, norm, eps: 1e-8);
        for (int i = 0; i < withA.Length; i++) Assert.Equal(withA[i], withB[i]);
        var weighted = Run(b, 4, 2, i => i == 3 ? 1.0 : W(i), norm, eps: 1e-8);
        Assert.Contains(Enumerable.Range(0, withB.Length), i => !withB[i].SequenceEqual(weighted[i]));
    }
}
