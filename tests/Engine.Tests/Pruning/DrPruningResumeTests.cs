using Engine.Methods.Pruning.DRPruning;
using Engine.Runtime;
using Engine.Tests.Training;

namespace Engine.Tests.Pruning;

/// <summary>Masked training with the DRO controller: the mixture moves, and a run stopped mid-prune resumes bit for bit.</summary>
public class DrPruningResumeTests
{
    private sealed class Crash : Exception;

    private static (double[] Weights, double[] LogAlpha, double[] Lambdas, double[] Mixture, string Controller, double[] Losses) Final(DrPruningTrainer t)
    {
        using var _ = Autograd.NoGrad();
        var l0 = t.L0!;
        return (PruningToys.Flat(t.Model.Parameters), PruningToys.Flat(l0.Masks.Select(m => m.LogAlpha)),
            PruningToys.Flat(l0.Masks.SelectMany(m => new[] { m.Lambda1, m.Lambda2 })), [.. t.MixtureSampler.Weights],
            t.Controller.Save().ToJsonString(), t.History.Select(h => h.Loss).ToArray());
    }

    [Fact]
    public void ControllerMovesTheMixtureAndRefitsTheReference()
    {
        var t = PruningToys.Trainer(null, steps: 12);
        var initial = t.MixtureSampler.Weights.ToArray();
        t.Train();
        var c = t.Controller;
        Assert.Equal(6, c.Log.Count);                                          // every 2 steps
        Assert.All(c.Log, u => Assert.NotNull(u.Weights));                     // user reference losses: DRO from the first update
        Assert.NotEqual(initial, t.MixtureSampler.Weights.ToArray());
        Assert.Equal(1.0, t.MixtureSampler.Weights.Sum(), 12);
        // Points every update (capped at 4: the oldest half loses one at random), fits once a domain has > 3.
        Assert.All(c.HistorySizes, n => Assert.Equal(4, n));
        Assert.NotEqual([1.5, 1.2, 2.5], c.Reference.ToArray());
        Assert.All(c.Reference, r => Assert.True(double.IsFinite(r) && r > 0));
        Assert.NotEqual(c.InitialRatio.ToArray(), c.ReferenceRatio.ToArray());   // DyAll moved the centre after 25 %
        Assert.True(c.UsedTokens.All(n => n > 0));
        // Metrics carry the Lagrangian, the expected sparsity and the mixture.
        Assert.Contains("lagrangian", t.History[0].Extra.Keys);
        Assert.Contains("expected_sparsity", t.History[0].Extra.Keys);
        Assert.Contains("weight/last", t.History[0].Extra.Keys);
    }

    [Fact]
    public void StoppedAndResumedPruneEqualsTheUninterruptedRunBitForBit()
    {
        const int steps = 10, saveAt = 4;
        string a = ToyTraining.TempDir(), b = ToyTraining.TempDir();
        try
        {
            var full = PruningToys.Trainer(a, steps, saveAt);
            full.Train();
            var want = Final(full);

            var first = PruningToys.Trainer(b, steps, saveAt);
            first.Callbacks.Add(new ToyTraining.StepHook(m => { if (m.Step == 6) throw new Crash(); }));
            Assert.Throws<Crash>(() => first.Train());
            Assert.True(Directory.Exists(Path.Combine(b, "checkpoint-4")));

            var resumed = PruningToys.Trainer(b, steps, saveAt);    // fresh model, masks, multipliers and controller
            resumed.Train(resume: true);
            var got = Final(resumed);
            Assert.Equal(want.Weights, got.Weights);
            Assert.Equal(want.LogAlpha, got.LogAlpha);
            Assert.Equal(want.Lambdas, got.Lambdas);
            Assert.Equal(want.Mixture, got.Mixture);
            Assert.Equal(want.Controller, got.Controller);
            Assert.Equal(want.Losses, got.Losses);
            // The mixture did change along the way, so the resume had something to get right.
            Assert.NotEqual(new double[] { 8.0 / 29, 3.0 / 29, 18.0 / 29 }, want.Mixture);
        }
        finally
        {
            foreach (var d in new[] { a, b }) if (Directory.Exists(d)) Directory.Delete(d, true);
        }
    }
}
