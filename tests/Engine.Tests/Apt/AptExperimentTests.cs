using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Evaluation.Testbed;

namespace Engine.Tests.Apt;

/// <summary>The APT testbed experiment at toy size (seconds): the base model, both arms and every iteration are scored and reported.</summary>
public class AptExperimentTests
{
    [Fact]
    public void TinyExperimentRunsBothArmsAndReports()
    {
        var o = new AptExperimentOptions
        {
            Target = "syllogism", BaseN = 40, BaseSteps = 3, BaseValidationN = 6, EvalN = 12, PoolN = 30, Iterations = 1, RoundSteps = 2, BatchSize = 4,
            LoraRank = 4, LoraAlpha = 8, TestN = 6, OtherTestN = 6, Seeds = [1],
            Size = new TestbedExperiment.TinyModelSize(Hidden: 32, Layers: 1, Intermediate: 64, Vocab: 300),
        };
        var dir = AptRunTests.Temp();
        try
        {
            var results = AptTestbedExperiment.Run(dir, o);
            var seed = Assert.Single(results);
            Assert.Equal(6, seed.Base.Target.Items.Count);
            Assert.Equal(6, seed.Base.Other.Items.Count);
            // Target items come from the target family only; retention items never do.
            Assert.All(seed.Base.Target.Items, i => Assert.Equal("syllogism", i.Task));
            Assert.All(seed.Base.Other.Items, i => Assert.NotEqual("syllogism", i.Task));
            Assert.Single(seed.Apt);
            Assert.Single(seed.Sft);
            // The base's band search ran one chunk of 3 steps (never reaching 60 % on so little training) and is reported.
            Assert.NotNull(seed.Band);
            Assert.False(seed.Band!.Reached);
            Assert.Equal(3, seed.Band.Steps);
            Assert.Single(seed.Band.Trace);
            // A nearly untrained model gets most target items wrong, so each arm trained a round on pairs.
            Assert.True(seed.AptReports[0].Domain.Bad > 0);
            Assert.True(seed.AptReports[0].Pairs > 0 && seed.AptReports[0].TrainSteps == 2);
            Assert.True(seed.SftReports[0].Pairs > 0 && seed.SftReports[0].TrainSteps == 2);
            Assert.True(File.Exists(Path.Combine(dir, "seed-1", "apt", "iter-0", "train", "config.json")));
            var md = AptTestbedExperiment.ToMarkdown(results, o);
            Assert.Contains("| M_1 | APT (DPO + 0.5·SFT) |", md);
            Assert.Contains("| M_1 | SFT, same examples |", md);
        }
        finally { Directory.Delete(dir, true); }
    }
}
