using Engine.Methods.Training;

namespace Engine.Tests.Training;

public class LrScheduleTests
{
    // Reference formulas written out from transformers' get_*_schedule_with_warmup definitions.
    private static double Expected(string kind, long k, long warm, long total)
    {
        if (k < warm) return (double)k / warm;
        double progress = (double)(k - warm) / (total - warm);
        return kind switch
        {
            "constant" => 1,
            "linear" => Math.Max(0, (double)(total - k) / (total - warm)),
            _ => Math.Max(0, 0.5 * (1 + Math.Cos(Math.PI * progress))),
        };
    }

    [Theory]
    [InlineData("constant", 3, 17)]
    [InlineData("linear", 5, 23)]
    [InlineData("cosine", 4, 31)]
    [InlineData("cosine", 0, 11)]
    public void MultipliersMatchTheFormulas(string kind, int warm, int total)
    {
        var s = new LrSchedule(LrSchedule.Parse(kind), 3e-4, warm, total);
        for (long k = 0; k <= total; k++)
        {
            Assert.Equal(3e-4 * Expected(kind, k, warm, total), s.LearningRate(k), 12);
        }
        if (warm > 0) Assert.Equal(0, s.LearningRate(0));
        if (kind != "constant") Assert.Equal(0, s.LearningRate(total), 12);
        // Cosine at the middle of the decay is exactly half.
        if (kind == "cosine" && (total - warm) % 2 == 0) Assert.Equal(0.5 * 3e-4, s.LearningRate(warm + (total - warm) / 2), 12);
    }

    [Fact]
    public void WarmupRatioRoundsUpLikeTransformers()
    {
        var o = new TrainerOptions { WarmupRatio = 0.1, Schedule = LrScheduleKind.Linear, LearningRate = 1 };
        Assert.Equal(4, LrSchedule.From(o, 31).WarmupSteps); // ceil(3.1)
        Assert.Equal(7, LrSchedule.From(o with { WarmupSteps = 7 }, 31).WarmupSteps);
    }
}
