using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Preference;
using Engine.Methods.Training.Sampling;
using Engine.Models.Transformer;
using Engine.Runtime;
using static Engine.Tests.Training.ToyTraining;

namespace Engine.Tests.Training;

public class KtoReferencePointTests
{
    private const ulong PolicySeed = 23, ReferenceSeed = 31;

    /// <summary>log π(completion | prompt) of one example alone, from its logits with plain loops (test reference).</summary>
    private static double LogProb(TransformerModel m, int[] prompt, int[] completion)
    {
        var ids = prompt.Concat(completion).ToArray();
        double[] logits;
        using (Autograd.NoGrad()) logits = m.Forward(Tensor.FromArray(ids.Select(x => (long)x).ToArray(), 1, ids.Length)).ToDoubleArray();
        double lp = 0;
        for (int t = prompt.Length - 1; t + 1 < ids.Length; t++) lp -= ReferenceCe(logits, 28, t, ids[t + 1]);
        return lp;
    }

    private static (float[][] Params, TrainResult Result) Run(IReadOnlyList<KtoExample> data, int bs, int ga)
    {
        var policy = new TrainableModel(Model(PolicySeed));
        var o = new TrainerOptions { LearningRate = 1e-2, AdamEpsilon = 1.0, BatchSize = bs, GradientAccumulation = ga, MaxSteps = 3, LogSteps = 0, Seed = 6, EvalBatchSize = 3 };
        var r = new KtoTrainer(policy, data, o, new KtoOptions { Beta = 0.5 }, referenceModel: Model(ReferenceSeed)).Train();
        return (Snapshot(policy), r);
    }

    [Fact]
    public void KlReferencePointIsTheStepMeanAndAccumulationDoesNotChangeTheUpdate()
    {
        var data = PreferenceTrainerTests.Unpaired(8);
        // Independent z0 of step 1: every example of the step (here the whole set), mismatched with example i−1's completion.
        var policy0 = Model(PolicySeed); var reference = Model(ReferenceSeed);
        var ratio = Enumerable.Range(0, 8).Select(i =>
        {
            var c = data[KtoTrainer.MismatchedPartner(i, 8)].CompletionIds;
            return LogProb(policy0, data[i].PromptIds, c) - LogProb(reference, data[i].PromptIds, c);
        }).ToArray();
        double z0 = Math.Max(0, ratio.Average());
        Assert.True(z0 > 0.01, $"the toy set-up needs a positive z0 to test anything (mean log-ratio {ratio.Average()})");
        // Micro-batch estimates (what 2×4 would use per micro-batch) differ from the step's.
        var order = new RandomBatchSampler(8, 8, seed: 6).EpochBatches(0)[0];
        var halves = new[] { order[..4], order[4..] }.Select(h => Math.Max(0, h.Average(i => ratio[i]))).ToArray();
        Assert.Contains(halves, h => Math.Abs(h - z0) > 1e-3);

        var (big, rBig) = Run(data, 8, 1);
        var (acc, rAcc) = Run(data, 4, 2);
        Assert.Equal(z0, rBig.History[0].Extra["kl"], 5);
        Assert.Equal(z0, rAcc.History[0].Extra["kl"], 5);
        for (int s = 0; s < 3; s++) Assert.Equal(rBig.History[s].Loss, rAcc.History[s].Loss, 6);
        for (int i = 0; i < big.Length; i++)
            for (int j = 0; j < big[i].Length; j++)
                Assert.True(Math.Abs(big[i][j] - acc[i][j]) <= 1e-6, $"param {i}[{j}]: 8×1 {big[i][j]} vs 4×2 {acc[i][j]}"); // a tolerance: rounding to 6 places flips at a boundary
        var start = Snapshot(new TrainableModel(Model(PolicySeed)));
        Assert.Contains(Enumerable.Range(0, big.Length), i => big[i].Zip(start[i]).Any(p => Math.Abs(p.First - p.Second) > 1e-4));
    }

    [Fact]
    public void EvaluationEstimatesTheReferencePointOverTheWholeHeldOutSet()
    {
        var train = PreferenceTrainerTests.Unpaired(8); var heldOut = PreferenceTrainerTests.Unpaired(6, 8);
        var reference = Model(ReferenceSeed);
        double EvalKl(int evalBatch)
        {
            var o = new TrainerOptions { BatchSize = 4, MaxSteps = 1, EvalBatchSize = evalBatch };
            return new KtoTrainer(new TrainableModel(Model(PolicySeed)), train, o, new KtoOptions(), referenceModel: reference, eval: heldOut).Evaluate().Extra["kl"];
        }
        var policy0 = Model(PolicySeed);
        double mean = Enumerable.Range(0, 6).Average(i =>
        {
            var c = heldOut[KtoTrainer.MismatchedPartner(i, 6)].CompletionIds;
            return LogProb(policy0, heldOut[i].PromptIds, c) - LogProb(reference, heldOut[i].PromptIds, c);
        });
        Assert.Equal(Math.Max(0, mean), EvalKl(6), 5);
        Assert.Equal(EvalKl(6), EvalKl(2), 6);
    }
}
