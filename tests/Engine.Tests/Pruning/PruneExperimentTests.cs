using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Pruning.DRPruning;
using Engine.Models.Config;
using Engine.Tests.Training;

namespace Engine.Tests.Pruning;

/// <summary>The DRPruning testbed experiment at toy size (seconds): every arm runs end to end and exports the target shape.</summary>
public class PruneExperimentTests
{
    [Fact]
    public void TinyExperimentRunsEveryArmAndReports()
    {
        var o = new DrPruningExperimentOptions
        {
            Mixture = "logic:0.8,code:0.2", N = 60, ValidationPerDomain = 4, TestPerDomain = 4, SourceSteps = 3, PruneSteps = 4, ContinueSteps = 2,
            UpdateEvery = 2, BatchSize = 4, MaxNewTokens = 4, Seeds = [1],
            Source = new(Hidden: 32, Layers: 2, Heads: 2, KvHeads: 2, Intermediate: 48, Vocab: 300),
            Ladder = [new(Hidden: 16, Layers: 2, Heads: 1, KvHeads: 1, Intermediate: 24, Vocab: 300)],
            Target = new TargetShape(HiddenSize: 16, NumHeads: 1, NumKvHeads: 1, NumLayers: 2, IntermediateSize: 32),
        };
        var dir = ToyTraining.TempDir();
        try
        {
            // One ladder model + the source are two sizes: the ℓ(N) fit refuses fewer than three.
            Assert.Contains("at least 3", Assert.Throws<ArgumentException>(() => DrPruningTestbedExperiment.Run(Path.Combine(dir, "short"), o)).Message);

            o = o with { Ladder = [o.Ladder[0], new(Hidden: 24, Layers: 2, Heads: 1, KvHeads: 1, Intermediate: 36, Vocab: 300)] };
            var results = DrPruningTestbedExperiment.Run(Path.Combine(dir, "run"), o);
            var seed = Assert.Single(results);
            Assert.Equal(DrPruningTestbedExperiment.Arms, seed.Arms.Select(a => a.Arm));
            Assert.Equal(2, seed.ReferenceLoss.Length);
            Assert.All(seed.ReferenceLoss, r => Assert.True(double.IsFinite(r) && r > 0));
            foreach (var arm in seed.Arms)
            {
                var cfg = ModelConfig.Load(Path.Combine(dir, "run", "seed-1", arm.Arm, "continued"));
                Assert.Equal(o.Target, TargetShape.Of(cfg));
                Assert.True(arm.NonEmbedding < seed.SourceNonEmbedding);
                Assert.Equal(1.0, arm.FinalWeights.Sum(), 9);
            }
            // no DRO keeps the proportions; the others move them.
            Assert.Equal([0.2, 0.8], seed.Arms.First(a => a.Arm == "no-dro").FinalWeights.Select(w => Math.Round(w, 9)));
            var md = DrPruningExperimentReport.ToMarkdown(results);
            Assert.Contains("| drpruning |", md);
            Assert.Contains("worst-domain loss", md);
        }
        finally { Directory.Delete(dir, true); }
    }
}
