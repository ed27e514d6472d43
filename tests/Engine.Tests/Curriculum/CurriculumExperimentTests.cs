using Engine.Methods.Evaluation.Experiments;

namespace Engine.Tests.Curriculum;

/// <summary>The CommonIT and CCL testbed experiments at CI size (seconds): every arm trains, is evaluated and reported.</summary>
public class CurriculumExperimentTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("curriculum-exp-").FullName;
    private static readonly TestbedExperiment.TinyModelSize Tiny = new(Hidden: 32, Layers: 1, Intermediate: 64, Vocab: 300);

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void CommonItExperimentRunsEveryGroupingAgainstRandomBatches()
    {
        var r = CommonItTestbedExperiment.Run(_dir, new CommonItExperimentOptions
        {
            Tasks = "syllogism,list_ops,string_ops", N = 48, Steps = 4, BatchSize = 4, EvalN = 6, MaxNewTokens = 8, Seeds = [1],
            LengthGroups = 3, ReferencePerTask = 2, Size = Tiny, EvalResamples = 200,
        });
        Assert.Equal(["random", "task", "length", "embedding"], r.Runs.Select(x => x.Arm));
        Assert.All(r.Runs, x => { Assert.Equal(4, x.Steps); Assert.Equal(6, x.Eval.N); });
        Assert.Contains("family purity 100.0", r.Runs.Single(x => x.Arm == "task").Note);
        foreach (var row in new[] { "| random |", "| task |", "| length |", "| embedding |", "| syllogism |", "| list_ops |", "Δ embedding" })
            Assert.Contains(row, r.Markdown);
    }

    [Fact]
    public void CclExperimentRunsVanillaRDropAndCcl()
    {
        var r = CclTestbedExperiment.Run(_dir, new CclExperimentOptions
        {
            Tasks = "syllogism,list_ops,string_ops", N = 36, ValidationN = 6, Steps = 12, BatchSize = 6, EvalN = 6, MaxNewTokens = 8, Seeds = [1],
            Size = Tiny, EvalResamples = 200, CostReps = 3,
        });
        Assert.Equal(["vanilla", "rdrop", "ccl"], r.Runs.Select(x => x.Arm));
        // 36 examples at batch 6: two epochs in 12 steps, each begun by a measurement for CCL and none for R-Drop.
        Assert.Equal(2, r.Epochs[("ccl", 1UL)].Count(e => e.Measured));
        Assert.DoesNotContain(r.Epochs[("rdrop", 1UL)], e => e.Measured);
        Assert.Contains("rdrop / vanilla: step time ×", r.Markdown);
        Assert.Contains("ccl / vanilla: step time ×", r.Markdown);
        Assert.Contains("e1 KL train", r.Runs.Single(x => x.Arm == "ccl").Note);
        // Two forwards and backwards cost more than one. Only "more": at this size fixed per-call overhead is a large
        // share, and on a loaded shared machine the median of 3 pairs measured 1.17 (≈ 2 alone).
        Assert.True(Assert.Single(r.InterleavedRatios) > 1.0, $"two-view / one-view time {r.InterleavedRatios[0]:F2}");
    }
}
