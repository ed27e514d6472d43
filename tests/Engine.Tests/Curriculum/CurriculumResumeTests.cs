using Engine.Methods.Curriculum.CCL;
using Engine.Methods.Training;
using Engine.Methods.Training.Checkpoints;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Sampling;
using Engine.Models.Transformer;
using static Engine.Tests.Training.ToyTraining;

namespace Engine.Tests.Curriculum;

/// <summary>A run stopped mid-epoch and resumed from its checkpoint equals the uninterrupted run bit for bit: CommonIT batches, CCL weights and masks.</summary>
public class CurriculumResumeTests
{
    private sealed class Crash : Exception;

    private static List<SftExample> Grouped() =>
        ReverseTask(12).Select((e, i) => e with { Group = i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c" }).Concat(ReverseTask(5, 12).Select(e => e with { Group = "d" })).ToList();

    private static TrainerOptions Options(string dir, int maxSteps, int saveSteps) => new()
    {
        LearningRate = 5e-3, BatchSize = 2, GradientAccumulation = 2, MaxSteps = maxSteps, SaveSteps = saveSteps, OutputDir = dir, LogSteps = 1, Seed = 9,
    };

    /// <summary>Train straight; train again with a crash after <paramref name="crashAfter"/> steps and resume; return both runs' step indices, losses and weights.</summary>
    private static void StraightEqualsResumed<T>(Func<string, (TrainerBase<T> Trainer, TrainableModel Model)> make, int crashAfter, Action<TrainerBase<T>, TrainerBase<T>>? more = null) where T : class
    {
        string straightDir = TempDir(), resumedDir = TempDir();
        try
        {
            var (straight, straightModel) = make(straightDir);
            var straightBatches = Record(straight);
            straight.Train();

            var (first, _) = make(resumedDir);
            first.Callbacks.Add(new StepHook(m => { if (m.Step == crashAfter) throw new Crash(); }));
            Assert.Throws<Crash>(() => first.Train());
            var (resumed, resumedModel) = make(resumedDir);
            var resumedBatches = Record(resumed);
            resumed.Train(resume: true);

            int startStep = (int)CheckpointStore.List(resumedDir).Where(c => c.Step < crashAfter).Max(c => c.Step);
            Assert.Equal(straightBatches.Skip(startStep), resumedBatches);
            Assert.Equal(straight.History.Select(h => h.Loss), resumed.History.Select(h => h.Loss));
            var a = Snapshot(straightModel); var b = Snapshot(resumedModel);
            for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
            more?.Invoke(straight, resumed);
        }
        finally
        {
            if (Directory.Exists(straightDir)) Directory.Delete(straightDir, true);
            if (Directory.Exists(resumedDir)) Directory.Delete(resumedDir, true);
        }
    }

    private static List<int[]> Record<T>(TrainerBase<T> t) where T : class
    {
        var steps = new List<int[]>();
        t.Callbacks.Add(new MicroBatchHook(ctx => { if (ctx.MicroBatch == 0) steps.Add([]); steps[^1] = [.. steps[^1], .. ctx.ExampleIndices]; }));
        return steps;
    }

    [Fact]
    public void CommonItBatchesResumeExactlyMidEpoch()
    {
        var data = Grouped();
        // Groups of 4, 4, 4 and 5 at step batch 4, remainders kept: 1 + 1 + 1 + 2 = 5 steps per epoch; stop at 7 (epoch 1, batch 2).
        StraightEqualsResumed(dir =>
        {
            var m = new TrainableModel(Model(3));
            var sampler = new GroupedBatchSampler(data.Select(e => e.Group).ToArray(), 4, 9, GroupRemainder.Keep);
            Assert.Equal(5, sampler.StepsPerEpoch);
            return (new SftTrainer(m, data, Options(dir, 12, 3), sampler), m);
        }, crashAfter: 7);
    }

    [Fact]
    public void CclWeightsAndDropoutResumeExactlyMidEpoch()
    {
        var train = ReverseTask(10).Select(CclExample.Of).ToList();
        train[1] = train[1] with { View = Sft("adog.", "god.") };
        var valid = ReverseTask(3, 10).Select(CclExample.Of).ToList();
        // 10 examples at step batch 4: 3 steps per epoch; checkpoints at 4 and 8 (mid-epoch), stop at 9; epochs begin at 0, 3, 6, 9.
        StraightEqualsResumed(dir =>
        {
            var m = new TrainableModel(Model(3));
            return (new CclTrainer(m, train, valid, Options(dir, 11, 4), new CclOptions { Alpha = 0.5 }), m);
        }, crashAfter: 9, (s, r) =>
        {
            var straight = (CclTrainer)s; var resumed = (CclTrainer)r;
            Assert.Equal(straight.Weights, resumed.Weights);
            Assert.Equal(straight.Epochs, resumed.Epochs);
            Assert.Equal(4, straight.Epochs.Count);
            Assert.All(straight.Epochs, e => Assert.True(e.Measured));
            // The weights changed between epochs: the curriculum is re-estimated, not fixed.
            Assert.NotEqual(straight.Epochs[0].WeightMean, straight.Epochs[3].WeightMean);
        });
    }

    [Fact]
    public void CclStateIsInTheCheckpointAndAResumeWithOtherOptionsIsRefused()
    {
        var train = ReverseTask(10).Select(CclExample.Of).ToList();
        var valid = ReverseTask(3, 10).Select(CclExample.Of).ToList();
        var dir = TempDir();
        try
        {
            var first = new CclTrainer(new TrainableModel(Model(3)), train, valid, Options(dir, 4, 4), new CclOptions { Alpha = 0.5 });
            first.Train();
            var ckpt = CheckpointStore.List(dir).Single().Dir;
            Assert.True(File.Exists(Path.Combine(ckpt, MethodState.Folder, CclTrainer.StateName + ".json")));
            Assert.True(File.Exists(Path.Combine(ckpt, MethodState.Folder, CclTrainer.StateName + ".safetensors")));
            var other = new CclTrainer(new TrainableModel(Model(3)), train, valid, Options(dir, 8, 4), new CclOptions { Alpha = 0.25 });
            var e = Assert.Throws<InvalidDataException>(() => other.Train(resume: true));
            Assert.Contains("α", e.Message);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
