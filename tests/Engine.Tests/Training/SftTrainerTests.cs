using Engine.Methods.Training;
using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Sampling;
using Engine.Runtime;
using static Engine.Tests.Training.ToyTraining;

namespace Engine.Tests.Training;

public class SftTrainerTests
{
    [Fact]
    public void MemorisesASmallDataset()
    {
        var data = ReverseTask(6);
        var model = new TrainableModel(Model(3));
        var trainer = new SftTrainer(model, data, new TrainerOptions
        {
            LearningRate = 1e-2, Schedule = LrScheduleKind.Constant, BatchSize = 6, MaxSteps = 150, WeightDecay = 0, LogSteps = 0, Seed = 1,
        }, eval: data);
        var before = trainer.Evaluate().Loss;
        var r = trainer.Train();
        Assert.True(before > 2.0, $"initial loss {before} should be near ln(28) ≈ 3.3");
        Assert.True(r.FinalEval!.Loss < 0.05, $"loss after training {r.FinalEval.Loss} (started at {before})");
        Assert.Equal(150, r.Steps);
    }

    [Fact]
    public void LossIsTheWeightedTokenMeanOfCrossEntropy()
    {
        var data = new List<SftExample> { Sft("ab.", "ba.", 1.0), Sft("cde.", "edc.", 0.25), Sft("f.", "f.", 3.0) };
        var model = new TrainableModel(Model(5));
        var trainer = new SftTrainer(model, data, new TrainerOptions { BatchSize = 2, MaxSteps = 1 }, eval: data);
        var got = trainer.Evaluate().Loss;
        // Independent: per example, forward alone, CE of each completion token from its logits.
        double num = 0; int tokens = 0;
        using (Autograd.NoGrad())
            foreach (var e in data)
            {
                var logits = model.Model.Forward(Tensor.FromArray(e.InputIds.Select(x => (long)x).ToArray(), 1, e.InputIds.Length)).ToDoubleArray();
                for (int t = 0; t + 1 < e.InputIds.Length; t++)
                {
                    if (e.Labels[t + 1] == LabelMask.Ignore) continue;
                    num += e.Weight * ReferenceCe(logits, 28, t, e.Labels[t + 1]);
                    tokens++;
                }
            }
        Assert.Equal(9, tokens);
        Assert.Equal(num / tokens, got, 4);
    }

    [Fact]
    public void GradientAccumulationEqualsOneBigBatch()
    {
        // Different lengths, so micro-batches hold different token counts: the step must average over all of them.
        var data = new[] { "a", "bc", "def", "ghij", "klmno", "pq", "rstuvw", "x" }.Select(w => Sft(w + ".", new string(w.Reverse().ToArray()) + ".")).ToList();
        float[][] Run(int bs, int ga)
        {
            var m = new TrainableModel(Model(7));
            // A large Adam ε makes the update ≈ lr·m (near-linear in the gradient); with the usual ε the first steps are
            // ≈ lr·sign(g), where float-rounding differences of tiny gradients flip whole steps.
            new SftTrainer(m, data, new TrainerOptions { LearningRate = 3e-2, AdamEpsilon = 1.0, BatchSize = bs, GradientAccumulation = ga, MaxSteps = 3, LogSteps = 0, Seed = 4 }).Train();
            return Snapshot(m);
        }
        var big = Run(4, 1); var acc = Run(2, 2);
        for (int i = 0; i < big.Length; i++)
            for (int j = 0; j < big[i].Length; j++)   // an absolute bound: rounding both to 6 places fails on an 8e-9 difference across a boundary
                Assert.True(Math.Abs(big[i][j] - acc[i][j]) <= 1e-6, $"tensor {i}[{j}]: {big[i][j]} vs {acc[i][j]}");
        var moved = Snapshot(new TrainableModel(Model(7)));
        Assert.Contains(Enumerable.Range(0, big.Length), i => !big[i].SequenceEqual(moved[i]));
    }

    /// <summary>A subclass adding a constant Mean term and counting its hooks: the shape of a method built on SFT.</summary>
    private sealed class ConstantTermTrainer(TrainableModel m, IReadOnlyList<SftExample> data, TrainerOptions o) : SftTrainer(m, data, o)
    {
        public int MicroBatches, Terms;
        public readonly List<StepMetrics> Steps = [];

        protected override IEnumerable<ExtraLoss> ExtraLosses(TrainingStepContext ctx)
        {
            Assert.NotNull(ctx.Logits); Assert.NotNull(ctx.PerTokenLoss);
            Assert.Equal(ctx.ExampleIndices.Count, ctx.Logits!.Size(0));
            Terms++;
            yield return ExtraLoss.Mean("constant", Tensor.Scalar(0.5)); // adds exactly 0.5 to each step's loss
        }

        protected override void AfterMicroBatch(TrainingStepContext ctx) => MicroBatches++;
        protected override void OnStepEnd(StepMetrics metrics) => Steps.Add(metrics);
    }

    [Fact]
    public void ExtraLossTermsAndHooksSeeTheBatch()
    {
        var data = ReverseTask(4);
        // LossChunkTokens = 0: the full logits, which this hook reads (the CPU default is the fused loss, without them).
        var o = new TrainerOptions { BatchSize = 2, GradientAccumulation = 2, MaxSteps = 2, LearningRate = 0, LogSteps = 0, LossChunkTokens = 0 };
        var trainer = new ConstantTermTrainer(new TrainableModel(Model(2)), data, o);
        int observed = 0;
        trainer.Callbacks.Add(new MicroBatchHook(_ => observed++));
        trainer.Train();
        Assert.Equal(4, trainer.MicroBatches);
        Assert.Equal(4, trainer.Terms);
        Assert.Equal(4, observed);
        var plain = new SftTrainer(new TrainableModel(Model(2)), data, o).Train();
        for (int i = 0; i < 2; i++) Assert.Equal(plain.History[i].Loss + 0.5, trainer.Steps[i].Loss, 5);
        Assert.Equal(0.5, trainer.Steps[0].Extra["constant"], 6);
    }

    [Fact]
    public void GroupedSamplerKeepsOneGroupPerOptimizerStep()
    {
        var data = ReverseTask(6).Select(e => e with { Group = "a" }).Concat(ReverseTask(4, 6).Select(e => e with { Group = "b" })).ToList();
        var sampler = new GroupedBatchSampler(data.Select(e => e.Group).ToArray(), 4, seed: 2);
        var trainer = new SftTrainer(new TrainableModel(Model(2)), data, new TrainerOptions { BatchSize = 2, GradientAccumulation = 2, Epochs = 3, LearningRate = 1e-3, LogSteps = 0 }, sampler);
        var groupsPerStep = new List<HashSet<string>>();
        trainer.Callbacks.Add(new MicroBatchHook(ctx =>
        {
            if (ctx.MicroBatch == 0) groupsPerStep.Add([]);
            foreach (var i in ctx.ExampleIndices) groupsPerStep[^1].Add(data[i].Group!);
        }));
        var r = trainer.Train();
        Assert.Equal(6, r.Steps); // (1 + 1) full batches of 4 per epoch × 3 epochs
        Assert.All(groupsPerStep, g => Assert.Single(g));
    }
}
