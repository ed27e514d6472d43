using Engine.Methods.Training;
using Engine.Methods.Training.Checkpoints;
using Engine.Models.Lora;
using Engine.Runtime;
using Xunit.Abstractions;
using static Engine.Tests.Training.ToyTraining;

namespace Engine.Tests.MixedPrecision;

public class Bf16TrainingTests(ITestOutputHelper output)
{
    private static TrainerOptions Memorise(ComputePrecision p, int steps) => new()
    {
        LearningRate = 1e-2, Schedule = LrScheduleKind.Constant, BatchSize = 6, MaxSteps = steps, WeightDecay = 0, LogSteps = 0, Seed = 1, Precision = p,
    };

    private static TrainResult Run(ComputePrecision p, int steps, out TrainableModel model, out double before)
    {
        var data = ReverseTask(6);
        model = new TrainableModel(Model(3));
        var trainer = new SftTrainer(model, data, Memorise(p, steps), eval: data);
        before = trainer.Evaluate().Loss;
        return trainer.Train();
    }

    [Fact]
    public void Bf16RunMemorisesLikeTheF32RunAndTracksItsLossCurve()
    {
        const int steps = 80, early = 20;
        var f32 = Run(ComputePrecision.F32, steps, out _, out var before32);
        var bf16 = Run(ComputePrecision.BF16, steps, out var model, out var before16);
        var l32 = f32.History.Select(h => h.Loss).ToArray(); var l16 = bf16.History.Select(h => h.Loss).ToArray();
        foreach (int s in new[] { 1, 2, 5, 10, 20, 40, 60, 80 })
            output.WriteLine($"step {s,3}: f32 {l32[s - 1]:F5}  bf16 {l16[s - 1]:F5}  rel {Math.Abs(l16[s - 1] - l32[s - 1]) / l32[s - 1]:E2}");
        output.WriteLine($"eval before: f32 {before32:F5} bf16 {before16:F5}; after: f32 {f32.FinalEval!.Loss:F5} bf16 {bf16.FinalEval!.Loss:F5}");

        Assert.True(bf16.FinalEval!.Loss < 0.05, $"bf16 loss after training {bf16.FinalEval.Loss} (started at {before16})");
        Assert.True(f32.FinalEval!.Loss < 0.05, $"f32 loss after training {f32.FinalEval.Loss}");
        // Same trajectory early on, within a small band; but really another computation (bf16 rounding is visible).
        for (int i = 0; i < early; i++)
            Assert.True(Math.Abs(l16[i] - l32[i]) <= 0.01 * l32[i], $"step {i + 1}: bf16 loss {l16[i]} vs f32 {l32[i]}");
        Assert.Contains(Enumerable.Range(0, early), i => l16[i] != l32[i]);
        Assert.Equal(DType.F32, model.Trainable[0].Value.DType);
    }

    private sealed class Crash : Exception;

    private static TrainerOptions ResumeOptions(string dir, int n) => new()
    {
        LearningRate = 5e-3, Schedule = LrScheduleKind.Cosine, WarmupSteps = 2, BatchSize = 2, GradientAccumulation = 2, MaxSteps = 2 * n,
        SaveSteps = n, SaveTotalLimit = 2, OutputDir = dir, LogSteps = 1, Seed = 9, WeightDecay = 0.1, Precision = ComputePrecision.BF16,
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MastersGradientsAndMomentsStayF32AndResumeIsBitwiseIdentical(bool lora)
    {
        const int n = 3;
        var data = ReverseTask(10);
        TrainableModel Fresh()
        {
            var m = Model(11);
            return lora ? new TrainableModel(m, LoraModel.Apply(m, new LoraConfig { Rank = 2, Alpha = 4, Dropout = 0.1, TargetModules = ["all-linear"] }, seed: 5)) : new TrainableModel(m);
        }
        var straightDir = TempDir(); var resumedDir = TempDir();
        try
        {
            var straightModel = Fresh();
            var straightTrainer = new SftTrainer(straightModel, data, ResumeOptions(straightDir, n));
            int micro = 0;
            straightTrainer.Callbacks.Add(new MicroBatchHook(ctx =>
            {
                // Inside the step's autocast scope; each micro-batch's gradients arrive on the f32 masters in f32.
                Assert.Equal(DType.BF16, Autocast.ActiveDType);
                foreach (var (name, p) in straightModel.Trainable)
                    Assert.True(p.Grad is null || p.Grad.DType == DType.F32, $"{name} grad is {p.Grad?.DType}");
                micro++;
            }));
            var straight = straightTrainer.Train();
            Assert.Equal(10, micro);                          // 6 steps over 10 examples: batches of 4, 4, 2 → 2 + 2 + 1 micro-batches per epoch
            Assert.Null(Autocast.ActiveDType);
            Assert.All(straightModel.Trainable, kv => Assert.Equal(DType.F32, kv.Value.DType));
            var moments = SafeTensorsDictionary.ReadAll(Path.Combine(CheckpointStore.Latest(straightDir)!, "optimizer.safetensors"));
            Assert.NotEmpty(moments);
            Assert.All(moments.Values, m => Assert.Equal(DType.F32, m.DType));

            var first = new SftTrainer(Fresh(), data, ResumeOptions(resumedDir, n));
            first.Callbacks.Add(new StepHook(m => { if (m.Step == n + 1) throw new Crash(); }));
            Assert.Throws<Crash>(() => first.Train());
            var resumedModel = Fresh();
            var resumed = new SftTrainer(resumedModel, data, ResumeOptions(resumedDir, n)).Train(resume: true);

            Assert.Equal(2 * n, resumed.Steps);
            var a = Snapshot(straightModel); var b = Snapshot(resumedModel);
            for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
            Assert.Equal(straight.History.Select(h => h.Loss), resumed.History.Select(h => h.Loss));
            // And the bf16 run is not secretly an f32 run: the same options in f32 end elsewhere.
            var f32Model = Fresh();
            new SftTrainer(f32Model, data, ResumeOptions(TempDir(), n) with { Precision = ComputePrecision.F32, SaveSteps = 0, OutputDir = null }).Train();
            Assert.Contains(Enumerable.Range(0, a.Length), i => !a[i].SequenceEqual(Snapshot(f32Model)[i]));
        }
        finally
        {
            if (Directory.Exists(straightDir)) Directory.Delete(straightDir, true);
            if (Directory.Exists(resumedDir)) Directory.Delete(resumedDir, true);
        }
    }

    [Fact]
    public void DpoTrainsInBf16WithTheCachedReferenceComputedUnderTheSamePolicy()
    {
        var pairs = Engine.Tests.Training.PreferenceTrainerTests.Pairs(6);
        var model = new TrainableModel(Model(13));
        var o = new TrainerOptions { LearningRate = 5e-3, BatchSize = 3, MaxSteps = 4, LogSteps = 0, Seed = 2, Precision = ComputePrecision.BF16 };
        var r = new Engine.Methods.Training.Preference.DpoTrainer(model, pairs, o, new Engine.Methods.Training.Preference.DpoOptions { Beta = 0.5 }).Train();
        Assert.Equal(4, r.Steps);
        // Step 1 starts at the reference: the DPO loss is ln 2 exactly when policy and cached reference agree, which
        // needs the reference log-probs computed with the same (bf16) numerics as the policy's forward.
        Assert.Equal(Math.Log(2), r.History[0].Loss, 6);
        Assert.All(r.History, h => Assert.True(double.IsFinite(h.Loss)));
    }
}
