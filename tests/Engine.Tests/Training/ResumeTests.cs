using Engine.Methods.Training;
using Engine.Methods.Training.Checkpoints;
using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Preference;
using Engine.Models.Lora;
using Engine.Runtime;
using static Engine.Tests.Training.ToyTraining;

namespace Engine.Tests.Training;

public class ResumeTests
{
    private sealed class Crash : Exception;

    private static TrainerOptions Options(string dir, int n) => new()
    {
        LearningRate = 5e-3, Schedule = LrScheduleKind.Cosine, WarmupSteps = 2, BatchSize = 2, GradientAccumulation = 2, MaxSteps = 2 * n,
        SaveSteps = n, SaveTotalLimit = 2, OutputDir = dir, LogSteps = 1, Seed = 9, WeightDecay = 0.1,
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ResumedSftRunIsBitwiseIdenticalToAnUninterruptedOne(bool lora)
    {
        const int n = 3;                // 3 steps of 4 examples: the checkpoint falls mid-epoch (10 examples per epoch)
        var data = ReverseTask(10);
        TrainableModel Fresh()
        {
            var m = Model(11);
            // Dropout on the adapters makes the resume depend on the restored generator offset too.
            return lora ? new TrainableModel(m, LoraModel.Apply(m, new LoraConfig { Rank = 2, Alpha = 4, Dropout = 0.1, TargetModules = ["all-linear"] }, seed: 5)) : new TrainableModel(m);
        }
        var straightDir = TempDir(); var resumedDir = TempDir();
        try
        {
            var straightModel = Fresh();
            var straight = new SftTrainer(straightModel, data, Options(straightDir, n)).Train();

            var first = new SftTrainer(Fresh(), data, Options(resumedDir, n));
            first.Callbacks.Add(new StepHook(m => { if (m.Step == n + 1) throw new Crash(); }));
            Assert.Throws<Crash>(() => first.Train());
            Assert.Equal(n, CheckpointStore.List(resumedDir).Single().Step);

            // A new process's view: fresh model objects and trainer, state only from disk.
            var resumedModel = Fresh();
            var resumed = new SftTrainer(resumedModel, data, Options(resumedDir, n)).Train(resume: true);

            Assert.Equal(2 * n, resumed.Steps);
            var a = Snapshot(straightModel); var b = Snapshot(resumedModel);
            for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
            Assert.Equal(straight.History.Select(h => h.Loss), resumed.History.Select(h => h.Loss));
            Assert.Contains(Enumerable.Range(0, a.Length), i => !a[i].SequenceEqual(Snapshot(Fresh())[i]));
        }
        finally
        {
            if (Directory.Exists(straightDir)) Directory.Delete(straightDir, true);
            if (Directory.Exists(resumedDir)) Directory.Delete(resumedDir, true);
        }
    }

    [Fact]
    public void ResumedDpoRunWithCachedReferenceIsBitwiseIdentical()
    {
        const int n = 2;
        var pairs = PreferenceTrainerTests.Pairs(8);
        var dpo = new DpoOptions { Beta = 0.5, SftAlpha = 0.3 };
        var straightDir = TempDir(); var resumedDir = TempDir();
        try
        {
            var sm = new TrainableModel(Model(13));
            new DpoTrainer(sm, pairs, Options(straightDir, n), dpo).Train();
            var first = new DpoTrainer(new TrainableModel(Model(13)), pairs, Options(resumedDir, n), dpo);
            first.Callbacks.Add(new StepHook(m => { if (m.Step == n + 1) throw new Crash(); }));
            Assert.Throws<Crash>(() => first.Train());
            // Full fine-tuning: the reference (initial policy) survives only as the cached log-probs in the checkpoint.
            Assert.True(File.Exists(Path.Combine(CheckpointStore.Latest(resumedDir)!, "method_state", ReferenceCache.StateName + ".safetensors")));
            var rm = new TrainableModel(Model(13));
            new DpoTrainer(rm, pairs, Options(resumedDir, n), dpo).Train(resume: true);
            var a = Snapshot(sm); var b = Snapshot(rm);
            for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
        }
        finally
        {
            if (Directory.Exists(straightDir)) Directory.Delete(straightDir, true);
            if (Directory.Exists(resumedDir)) Directory.Delete(resumedDir, true);
        }
    }

    [Fact]
    public void CheckpointsAreCompleteAndOnlyTheLastKAreKept()
    {
        var dir = TempDir();
        try
        {
            var o = Options(dir, 1) with { MaxSteps = 5, SaveSteps = 1, SaveTotalLimit = 2 };
            new SftTrainer(new TrainableModel(Model(1)), ReverseTask(6), o).Train();
            var list = CheckpointStore.List(dir);
            Assert.Equal([4L, 5L], list.Select(x => x.Step));
            foreach (var f in new[] { "config.json", "model.safetensors", "optimizer.safetensors", "scheduler.json", "rng_state.json", "sampler.json", "trainer_state.json" })
                Assert.True(File.Exists(Path.Combine(list[^1].Dir, f)), f);
            Assert.Empty(Directory.EnumerateDirectories(dir, ".tmp-*"));
            Assert.True(File.Exists(Path.Combine(dir, "model.safetensors")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ResumeRefusesAnotherStepBatchOrSeedAndAMissingCheckpoint()
    {
        var dir = TempDir();
        try
        {
            var data = ReverseTask(6);
            Assert.Throws<InvalidOperationException>(() => new SftTrainer(new TrainableModel(Model(1)), data, Options(dir, 1)).Train(resume: true));
            new SftTrainer(new TrainableModel(Model(1)), data, Options(dir, 1)).Train();
            var e = Assert.Throws<InvalidDataException>(() => new SftTrainer(new TrainableModel(Model(1)), data, Options(dir, 1) with { BatchSize = 3 }).Train(resume: true));
            Assert.Contains("batch size", e.Message);
            Assert.Throws<InvalidDataException>(() => new SftTrainer(new TrainableModel(Model(1)), data, Options(dir, 1) with { Seed = 10 }).Train(resume: true));
        }
        finally { Directory.Delete(dir, true); }
    }
}
