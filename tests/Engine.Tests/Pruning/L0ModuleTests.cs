using Engine.Methods.Pruning.DRPruning;
using Engine.Models.Transformer;
using Engine.Runtime;
using Engine.Tests.Training;

namespace Engine.Tests.Pruning;

/// <summary>The L0 module: which masks it trains, its initial state, the Lagrangian and the direction of its multipliers.</summary>
public class L0ModuleTests
{
    [Fact]
    public void GqaModelsGateKvGroupsAndMhaModelsGateHeads()
    {
        var gqa = ToyTraining.Config();   // 4 query heads over 2 KV heads
        var l0 = new L0Module(gqa, PruningToys.Target, 1, 0);
        Assert.True(l0.GatesKvGroups);
        var z = l0.Sample();
        Assert.Null(z.Heads);
        Assert.Equal([2, 2], z.KvHeads!.Shape.ToArray());
        Assert.Same(z.AttentionLayers, z.MlpLayers);   // one layer gate on both blocks
        z.Validate(gqa);

        var mha = gqa with { NumKvHeads = 4 };
        var m = new L0Module(mha, new TargetShape(12, 2, 2, 2, 20), 1, 0);
        Assert.False(m.GatesKvGroups);
        var zm = m.Deterministic(exactTargets: true);
        Assert.Null(zm.KvHeads);
        Assert.Equal([2, 4], zm.Heads!.Shape.ToArray());
    }

    [Fact]
    public void MasksStartNearlyOpenAndAreClampedBeforeTheFirstForward()
    {
        var l0 = new L0Module(ToyTraining.Config(), PruningToys.Target, 5, 0);
        var la = l0.Intermediate.LogAlpha.ToDoubleArray();
        Assert.InRange(la.Average(), 4.99, 5.01);                     // N(5, 0.01²)
        Assert.True(la.Distinct().Count() > la.Length / 2);
        l0.Constrain();
        Assert.All(l0.Intermediate.LogAlpha.ToDoubleArray(), v => Assert.Equal(Math.Log(100.0), v, 5));
        // Expected sparsity at log α = ln 100: 1 − σ(4.605 + 1.5986) = 0.00202 in every module.
        Assert.All(l0.Masks, m => Assert.All(l0.ExpectedSparsity(m), s => Assert.Equal(0.00202, s, 4)));
        // Overall: a weight survives with hidden × head-or-unit × layer scores: 1 − 0.99798³ = 0.00605.
        Assert.Equal(0.00605, l0.ExpectedOverallSparsity(), 4);
    }

    [Fact]
    public void DeterministicExportMasksKeepExactlyTheTargetCounts()
    {
        var l0 = new L0Module(ToyTraining.Config(), PruningToys.Target, 5, 0);
        using (Autograd.NoGrad())
            foreach (var m in l0.Masks) Tensor.RandN(m.LogAlpha.Shape, 77, 2.0).CopyTo(m.LogAlpha);
        var z = l0.Deterministic(exactTargets: true);
        Assert.Equal(12, z.Hidden!.ToDoubleArray().Count(v => v != 0));
        var kv = z.KvHeads!.ToDoubleArray();
        Assert.Equal(1, kv.Take(2).Count(v => v != 0)); Assert.Equal(1, kv.Skip(2).Count(v => v != 0));
        var units = z.Intermediate!.ToDoubleArray();
        Assert.Equal(20, units.Take(36).Count(v => v != 0)); Assert.Equal(20, units.Skip(36).Count(v => v != 0));
        Assert.Equal(2, z.MlpLayers!.ToDoubleArray().Count(v => v != 0));
    }

    [Fact]
    public void LagrangianIsTheFormulaAndItsMultiplierGradientsAreTheConstraintGaps()
    {
        var l0 = new L0Module(ToyTraining.Config(), PruningToys.Target, 5, warmupSteps: 10);
        using (Autograd.NoGrad())
            foreach (var (m, i) in l0.Masks.Select((m, i) => (m, i)))
            {
                Tensor.RandN(m.LogAlpha.Shape, 40 + (ulong)i, 1.5).CopyTo(m.LogAlpha);
                Tensor.Full([1], 0.3 * (i + 1)).CopyTo(m.Lambda1);
                Tensor.Full([1], 0.7 - 0.1 * i).CopyTo(m.Lambda2);
            }
        foreach (var m in l0.Masks) { m.Lambda1.RequiresGrad = true; m.Lambda2.RequiresGrad = true; }
        const long step = 4;   // ramp: 4/10 of each module's target
        var lag = l0.Lagrangian(step);
        double want = 0;
        foreach (var (m, i) in l0.Masks.Select((m, i) => (m, i)))
            want += PruningFormulas.LagrangianTerm(l0.ExpectedSparsity(m), 0.4 * m.TargetSparsity, 0.3 * (i + 1), 0.7 - 0.1 * i);
        Assert.Equal(want, lag.Item(), 5);
        lag.Backward();
        foreach (var m in l0.Masks)
        {
            var (g1, g2) = PruningFormulas.LagrangianLambdaGradient(l0.ExpectedSparsity(m), 0.4 * m.TargetSparsity);
            Assert.Equal(g1, m.Lambda1.Grad!.Item(), 5);
            Assert.Equal(g2, m.Lambda2.Grad!.Item(), 5);
        }
    }

    [Fact]
    public void MultipliersAscendWhileMasksDescendTheLagrangian()
    {
        // ∂L/∂λ1 = mean(ŝ − t) and ∂L/∂λ2 = mean((ŝ − t)²). Ascent moves each λ along its gradient — the opposite of
        // what descent on the loss would do: λ1 rises while the masks are sparser than the ramped target and falls
        // while they are denser, λ2 only rises. The masks, descending λ1·(ŝ − t) + λ2·(ŝ − t)², then become sparser.
        var trainer = PruningToys.Trainer(null, steps: 10);
        var l0 = trainer.L0!;
        var gaps = new Dictionary<long, double>();
        var lambda1 = new List<double> { 0 }; var lambda2 = new List<double> { 0 }; var sparsity = new List<double>();
        trainer.Callbacks.Add(new ToyTraining.MicroBatchHook(ctx =>
        {
            // After the step's forward (log α clamped, not yet updated): the gap this step's λ gradient sees.
            if (ctx.MicroBatch == 0) gaps[ctx.Step] = l0.ExpectedSparsity(l0.Hidden)[0] - l0.RampedTarget(l0.Hidden, ctx.Step);
        }));
        trainer.Callbacks.Add(new ToyTraining.StepHook(_ =>
        {
            lambda1.Add(l0.Hidden.Lambda1.Item()); lambda2.Add(l0.Hidden.Lambda2.Item());
            sparsity.Add(l0.ExpectedSparsity(l0.Hidden)[0]);
        }));
        trainer.Train();
        string trace = $"gaps {string.Join(", ", gaps.Values.Select(g => g.ToString("F4")))}; λ1 {string.Join(", ", lambda1.Select(g => g.ToString("F4")))}";
        Assert.True(gaps[0] > 0, trace);                      // step 0: target 0, masks at ŝ ≈ 0.002
        Assert.True(gaps.Values.Skip(1).All(g => g < 0), trace);   // then the ramped target passes them
        for (int k = 0; k < 10; k++)
        {
            Assert.True(Math.Sign(lambda1[k + 1] - lambda1[k]) == Math.Sign(gaps[k]), $"step {k}: λ1 should move with sign(ŝ − t). {trace}");
            Assert.True(lambda2[k + 1] > lambda2[k], $"step {k}: λ2 should rise: {string.Join(", ", lambda2)}");
        }
        Assert.True(sparsity[^1] > 2 * sparsity[0], $"the hidden mask's expected sparsity should grow: {string.Join(", ", sparsity)}");
    }
}
