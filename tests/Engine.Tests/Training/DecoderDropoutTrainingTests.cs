using Engine.Methods.Training;
using Engine.Methods.Training.Checkpoints;
using Engine.Runtime;
using static Engine.Tests.Training.ToyTraining;

namespace Engine.Tests.Training;

/// <summary>The trainer drives the decoder's dropout: on while training, off afterwards, seeded by the run, resumed exactly.</summary>
public class DecoderDropoutTrainingTests
{
    private sealed class Crash : Exception;

    private static TrainableModel WithDropout(double p)
    {
        var m = Model(11);
        m.AttentionDropout = p; m.HiddenDropout = p;
        return new TrainableModel(m);
    }

    private static TrainerOptions Options(string? dir, int n) => new()
    {
        LearningRate = 5e-3, BatchSize = 2, GradientAccumulation = 2, MaxSteps = 2 * n, SaveSteps = dir is null ? 0 : n,
        OutputDir = dir, LogSteps = 1, Seed = 9,
    };

    [Fact]
    public void DropoutIsOnWhileTrainingAndOffAfterwards()
    {
        var data = ReverseTask(8);
        var plain = new SftTrainer(WithDropout(0), data, Options(null, 1)).Train();
        var dropped = WithDropout(0.3);
        var withDropout = new SftTrainer(dropped, data, Options(null, 1)).Train();
        // Same seed, same data order: only the masks can make the first step's loss differ.
        Assert.NotEqual(plain.History[0].Loss, withDropout.History[0].Loss);

        // After training the model is in inference mode: two forwards agree and the generator is not advanced.
        var ids = Tensor.FromArray(new long[] { 1, 2, 3, 4, 5, 6 }, 1, 6);
        ulong offset = dropped.Model.DropoutGenerator.Offset;
        using var _ = Autograd.NoGrad();
        var first = dropped.Model.Forward(ids).ToArray<float>();
        var second = dropped.Model.Forward(ids).ToArray<float>();
        Assert.Equal(first, second);
        Assert.Equal(offset, dropped.Model.DropoutGenerator.Offset);
        // And no mask is applied at all: the same weights with the rates set to 0 give the same logits.
        dropped.Model.AttentionDropout = 0;
        dropped.Model.HiddenDropout = 0;
        Assert.Equal(first, dropped.Model.Forward(ids).ToArray<float>());
    }

    [Fact]
    public void ResumedRunWithDecoderDropoutIsBitwiseIdentical()
    {
        const int n = 3;
        var data = ReverseTask(10);
        var straightDir = TempDir(); var resumedDir = TempDir();
        try
        {
            var straightModel = WithDropout(0.2);
            var straight = new SftTrainer(straightModel, data, Options(straightDir, n)).Train();

            var first = new SftTrainer(WithDropout(0.2), data, Options(resumedDir, n));
            first.Callbacks.Add(new StepHook(m => { if (m.Step == n + 1) throw new Crash(); }));
            Assert.Throws<Crash>(() => first.Train());
            Assert.Equal(n, CheckpointStore.List(resumedDir).Single().Step);

            var resumedModel = WithDropout(0.2);
            var resumed = new SftTrainer(resumedModel, data, Options(resumedDir, n)).Train(resume: true);
            var a = Snapshot(straightModel); var b = Snapshot(resumedModel);
            for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
            Assert.Equal(straight.History.Select(h => h.Loss), resumed.History.Select(h => h.Loss));
        }
        finally
        {
            if (Directory.Exists(straightDir)) Directory.Delete(straightDir, true);
            if (Directory.Exists(resumedDir)) Directory.Delete(resumedDir, true);
        }
    }
}
