using Engine.Methods.Evaluation.Experiments;
using Xunit.Abstractions;

namespace Engine.Tests.LongMT;

/// <summary>The experiment's pipeline at toy size (seconds): every arm runs and is scored; the numbers mean nothing at this size.</summary>
public class LongMtExperimentTests(ITestOutputHelper output)
{
    [Fact]
    public void TheWholeLoopRunsAtToySize()
    {
        var work = Path.Combine(Path.GetTempPath(), "engine-lmtx-" + Guid.NewGuid().ToString("N"));
        try
        {
            var r = LongMtTestbedExperiment.Run(work, new LongMtExperimentOptions
            {
                TrainDocs = 3, SampleDocs = 1, EvalDocs = 2, MinPages = 2, MaxPages = 2, SentencesPerPage = 3, SftSteps = 4, DpoSteps = 2, Simulations = 3,
                MaxNewTokens = 24, Size = new(Hidden: 32, Layers: 1, Heads: 2, KvHeads: 1, Intermediate: 64, Vocab: 300, MaxPositions: 384),
            }, output.WriteLine);
            Assert.Equal(LongMtTestbedExperiment.ArmNames, r.Arms.Select(a => a.Name));
            Assert.All(r.Arms, a => Assert.Equal(2, a.Docs.Count));
            Assert.All(r.Arms.SelectMany(a => a.Docs), d => Assert.InRange(d.ChrF, 0, 100));
            Assert.True(File.Exists(Path.Combine(work, "pairs.jsonl")));
            // The report pools seeds; an arm against itself differs by exactly zero on every document.
            var pooled = LongMtExperimentReport.Pooled([r, r]);
            Assert.All(LongMtTestbedExperiment.ArmNames, n => Assert.Contains(n, pooled));
            Assert.Contains("4 held-out documents per arm", pooled);
            Assert.All(LongMtExperimentReport.Differences(r.Arms[2].Docs, r.Arms[2].Docs, d => d.ChrF), x => Assert.Equal(0, x));
            Assert.Contains("Seed 1:", LongMtExperimentReport.SeedTable(1, r));
        }
        finally { if (Directory.Exists(work)) Directory.Delete(work, true); }
    }
}
