using Engine.Methods.Evaluation.Experiments;

namespace Engine.Tests.TestbedEval;

/// <summary>The band search behind APT's and SeaPO's base models: chunks continue from each other and stop at the first that reaches the floor.</summary>
public class BandedBaseTests
{
    [Fact]
    public void StopsAtTheFirstChunkThatReachesTheFloorAndChainsChunks()
    {
        var dir = Path.Combine(Path.GetTempPath(), "band-" + Guid.NewGuid().ToString("N"));
        var calls = new List<(string From, string To, int K)>();
        double[] accuracies = [0.10, 0.45, 0.72, 0.95];
        int validated = 0;
        var r = BandedBase.Train("init", dir, chunkSteps: 50, maxChunks: 10, minAccuracy: 0.6,
            (from, to, k) => calls.Add((from, to, k)), _ => accuracies[validated++]);
        Assert.True(r.Reached);
        Assert.Equal(150, r.Steps);
        Assert.Equal(0.72, r.Accuracy);
        Assert.Equal(Path.Combine(dir, "chunk-3"), r.ModelDir);
        Assert.Equal([(50L, 0.10), (100L, 0.45), (150L, 0.72)], r.Trace);
        // Each chunk trains from the previous chunk's model; the fourth chunk is never trained.
        Assert.Equal(["init", Path.Combine(dir, "chunk-1"), Path.Combine(dir, "chunk-2")], calls.Select(c => c.From));
        Assert.Equal([0, 1, 2], calls.Select(c => c.K));
    }

    [Fact]
    public void ReportsTheLastChunkWhenTheFloorIsNeverReached()
    {
        var dir = Path.Combine(Path.GetTempPath(), "band-" + Guid.NewGuid().ToString("N"));
        double[] accuracies = [0.2, 0.3];
        int validated = 0;
        var r = BandedBase.Train("init", dir, 20, 2, 0.6, (_, _, _) => { }, _ => accuracies[validated++]);
        Assert.False(r.Reached);
        Assert.Equal(40, r.Steps);
        Assert.Equal(0.3, r.Accuracy);
        Assert.Equal(Path.Combine(dir, "chunk-2"), r.ModelDir);
        Assert.Contains("band not reached", r.Describe());
    }

    [Fact]
    public void RefusesAnEmptySearchOrAFloorOutsideZeroToOne()
    {
        Assert.Throws<ArgumentException>(() => BandedBase.Train("i", "d", 0, 3, 0.6, (_, _, _) => { }, _ => 1));
        Assert.Throws<ArgumentException>(() => BandedBase.Train("i", "d", 10, 3, 1.5, (_, _, _) => { }, _ => 1));
    }
}
