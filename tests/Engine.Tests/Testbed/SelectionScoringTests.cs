using Engine.Methods.Evaluation.Testbed;

namespace Engine.Tests.Testbed;

/// <summary>AUC and top-k precision/recall against hand-computed values and a brute-force pair count.</summary>
public class SelectionScoringTests
{
    [Fact]
    public void AucHandComputed()
    {
        // Pairs (clean, corrupted): 0.9>0.5, 0.9>0.1, 0.8>0.5, 0.8>0.1, 0.3<0.5, 0.3>0.1 → 5 of 6.
        Assert.Equal(5.0 / 6, SelectionScoring.Auc([0.9, 0.8, 0.3], [0.5, 0.1]), 12);
        // Ties count half: (1,1)=.5 (1,0)=1 (1,1)=.5 (1,0)=1 → 3 of 4.
        Assert.Equal(0.75, SelectionScoring.Auc([1, 1], [1, 0]), 12);
        Assert.Equal(1.0, SelectionScoring.Auc([3, 4], [1, 2]));
        Assert.Equal(0.0, SelectionScoring.Auc([1, 2], [3, 4]));
        Assert.Equal(0.5, SelectionScoring.Auc([2, 2, 2], [2, 2]));
        Assert.True(double.IsNaN(SelectionScoring.Auc([1], [])));
    }

    [Fact]
    public void AucEqualsBruteForcePairCount()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 20; trial++)
        {
            var clean = Enumerable.Range(0, 1 + rng.Next(30)).Select(_ => (double)rng.Next(10)).ToList();
            var bad = Enumerable.Range(0, 1 + rng.Next(30)).Select(_ => (double)rng.Next(10)).ToList();
            double wins = 0;
            foreach (var c in clean) foreach (var b in bad) wins += c > b ? 1 : c == b ? 0.5 : 0;
            Assert.Equal(wins / (clean.Count * bad.Count), SelectionScoring.Auc(clean, bad), 12);
        }
    }

    [Fact]
    public void TopKPrecisionAndRecall()
    {
        var corrupted = new Dictionary<string, bool> { ["a"] = false, ["b"] = false, ["c"] = true, ["d"] = false, ["e"] = true };
        var scores = new Dictionary<string, double> { ["a"] = 0.9, ["b"] = 0.4, ["c"] = 0.7, ["d"] = 0.8, ["e"] = 0.1 };
        // Ranked: a(clean) d(clean) c(bad) b(clean) e(bad). Default K = 3 clean → kept a,d,c.
        var s = SelectionScoring.Evaluate(scores, corrupted);
        Assert.Equal((3, 2, 0, 3), (s.Clean, s.Corrupted, s.Unscored, s.K));
        Assert.Equal(2.0 / 3, s.KeptPrecision, 12);
        Assert.Equal(2.0 / 3, s.KeptRecall, 12);
        Assert.Equal(0.5, s.FlaggedPrecision, 12);   // flagged b, e: one bad
        Assert.Equal(0.5, s.FlaggedRecall, 12);      // e of {c, e}
        // Clean beat bad in: a>c,a>e,d>c,d>e,b>e → 5 of 6.
        Assert.Equal(5.0 / 6, s.Auc, 12);
        var k2 = SelectionScoring.Evaluate(scores, corrupted, keep: 2);
        Assert.Equal((1.0, 2.0 / 3, 2.0 / 3, 1.0), (k2.KeptPrecision, k2.KeptRecall, k2.FlaggedPrecision, k2.FlaggedRecall));
        // Loss-like scores: lower is cleaner reverses the ranking.
        var inv = SelectionScoring.Evaluate(scores, corrupted, higherIsClean: false);
        Assert.Equal(1.0 / 6, inv.Auc, 12);
    }

    [Fact]
    public void RejectsUnknownIdsAndCountsUnscored()
    {
        var corrupted = new Dictionary<string, bool> { ["a"] = false, ["b"] = true, ["c"] = false };
        Assert.Throws<ArgumentException>(() => SelectionScoring.Evaluate(new Dictionary<string, double> { ["z"] = 1 }, corrupted));
        var s = SelectionScoring.Evaluate(new Dictionary<string, double> { ["a"] = 1, ["b"] = 0 }, corrupted);
        Assert.Equal(1, s.Unscored);
        Assert.Equal(1.0, s.Auc);
    }

    [Fact]
    public void OracleScoresOnGeneratedDataSeparatePerfectly()
    {
        // The checker itself is a perfect detector for answer-changing noise: score = 1 if the output checks.
        var records = TestbedGenerator.Generate(new TestbedOptions { N = 400, Noise = 0.25, Seed = 5 });
        var scores = records.ToDictionary(r => r.Id, r => TestbedChecker.Check(r, r.Output).Correct ? 1.0 : 0.0);
        var s = SelectionScoring.Evaluate(scores, records.ToDictionary(r => r.Id, r => r.Meta!.Corrupted));
        Assert.Equal(100, s.Corrupted);
        Assert.Equal(1.0, s.Auc);
        Assert.Equal(1.0, s.KeptPrecision);
        Assert.Equal(1.0, s.FlaggedRecall);
    }
}
