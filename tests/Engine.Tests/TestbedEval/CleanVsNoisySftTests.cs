using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Training;
using Engine.Models;
using Xunit.Abstractions;

namespace Engine.Tests.TestbedEval;

/// <summary>
/// The testbed's reason to exist, at CI size: the same tiny model and SFT recipe trained on clean data beats the
/// run on 50%-noisy data on held-out items. Syllogisms (yes/no/unknown from two stated premises) are learnable by
/// a ~100k-parameter model in a couple of hundred steps, so the effect of noise is visible within seconds.
/// </summary>
public class CleanVsNoisySftTests(ITestOutputHelper output)
{
    [Fact]
    public void CleanDataBeatsHalfNoisyDataOnHeldOutAccuracy()
    {
        var root = Path.Combine(Path.GetTempPath(), "engine-cvn-" + Guid.NewGuid().ToString("N"));
        try
        {
            var tasks = TaskRegistry.Parse("syllogism");
            TestbedOptions Data(double noise) => new() { Tasks = tasks, N = 2000, Noise = noise, Seed = 11, Split = TestbedSplit.Train };
            var clean = TestbedGenerator.Generate(Data(0));
            var noisy = TestbedGenerator.Generate(Data(0.5));
            var baseDir = TestbedExperiment.MakeTinyModel(Path.Combine(root, "base"), TestbedExperiment.ChatText(clean), new TestbedExperiment.TinyModelSize(), seed: 3);
            var opts = new TrainerOptions
            {
                LearningRate = 3e-3, Schedule = LrScheduleKind.Cosine, WarmupRatio = 0.05, MaxSteps = 400, BatchSize = 16, Seed = 5, LogSteps = 1000,
            };
            TestbedExperiment.Sft(baseDir, clean, Path.Combine(root, "clean"), opts);
            TestbedExperiment.Sft(baseDir, noisy, Path.Combine(root, "noisy"), opts);
            var eval = new EvalOptions { Tasks = tasks, N = 150, Seed = 99, MaxNewTokens = 6, BatchSize = 32, Resamples = 1000 };
            var rc = TestbedEvaluator.Evaluate(ModelBundle.Load(Path.Combine(root, "clean")), eval);
            var rn = TestbedEvaluator.Evaluate(ModelBundle.Load(Path.Combine(root, "noisy")), eval);
            output.WriteLine($"clean: {rc.Accuracy:P1} [{rc.Lo:P1}, {rc.Hi:P1}]   noisy(50%): {rn.Accuracy:P1} [{rn.Lo:P1}, {rn.Hi:P1}]");
            Assert.True(rc.Accuracy > rn.Accuracy, $"clean {rc.Accuracy:P1} should beat noisy {rn.Accuracy:P1}");
            Assert.True(rc.Lo > rn.Accuracy, $"clean's CI [{rc.Lo:P1}, {rc.Hi:P1}] should lie above noisy's accuracy {rn.Accuracy:P1}");
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }
}
