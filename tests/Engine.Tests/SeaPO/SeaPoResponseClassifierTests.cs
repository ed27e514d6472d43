using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Evaluation.Testbed;

namespace Engine.Tests.SeaPO;

public class SeaPoResponseClassifierTests
{
    [Theory]
    [InlineData("12 + 40 = 52\n52 + 6 = 58\nAnswer: 58", false, false, false)]
    [InlineData("12 + 40 = 52\n52 + 6 = 58\nAnswer: 57", true, false, false)]
    [InlineData("12 + 40 = 53\n52 + 6 = 58\nAnswer: 58", false, true, false)]
    [InlineData("12 + 40 = 52\n52 + 6 = 58\nA shortcut rule says 12 + 46 = 97.\nAnswer: 97", true, false, true)]   // the wrong equation in the claim is not a step
    [InlineData("12 + 40 = 52\n52 + 6 = 59\nAnswer: 59", true, true, false)]
    [InlineData("12 + 40 = 52", true, false, false)]                                                             // no answer line
    public void TellsTheThreeErrorKindsApart(string response, bool wrong, bool broken, bool claim) =>
        Assert.Equal(new ResponseErrors(wrong, broken, claim), SeaPoResponseClassifier.Classify("arith", "58", response));

    [Fact]
    public void AgreesWithTheTestbedsOwnCorruptions()
    {
        // Every corruption kind the experiment maps to a SeaPO type is seen as exactly that type, on many arith records.
        var clean = new TestbedOptions { Tasks = TaskRegistry.Parse("arith"), N = 200, Cot = true, Seed = 11, MinDifficulty = 1, MaxDifficulty = 3 };
        foreach (var t in Engine.Methods.Synthesis.SeaPO.SeaPoErrorTypes.All)
        {
            var bad = TestbedGenerator.Generate(clean with { Noise = 1, NoiseKinds = [SeaPoTestbedExperiment.KindOf(t)] });
            foreach (var r in bad)
            {
                var e = SeaPoResponseClassifier.Classify(r.Task, r.Answer!, r.Output);
                Assert.True(SeaPoTestbedExperiment.Has(e, t), $"{t}: {r.Output}");
                Assert.False(SeaPoResponseClassifier.Classify(r.Task, r.Answer!, r.Meta!.CleanOutput).Any, r.Meta.CleanOutput);
            }
        }
    }
}
