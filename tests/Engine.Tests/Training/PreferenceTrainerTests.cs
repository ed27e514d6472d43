using Engine.Methods.Training;
using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Preference;
using Engine.Models.Lora;
using static Engine.Tests.Training.ToyTraining;

namespace Engine.Tests.Training;

public class PreferenceTrainerTests
{
    private static readonly string[] Good = ["good.", "nice.", "fine."], Bad = ["bad.", "poor.", "sad."];

    /// <summary>Prompts are words; the preferred completion is always from <see cref="Good"/>, the other from <see cref="Bad"/>.</summary>
    public static List<PreferenceExample> Pairs(int n, int offset = 0) =>
        Enumerable.Range(offset, n).Select(i => new PreferenceExample(Ids(Words[i % Words.Length] + "."), Ids(Good[i % 3]), Ids(Bad[(i + 1) % 3]), $"p{i}")).ToList();

    private static TrainerOptions Opts(int steps) => new()
    {
        LearningRate = 5e-3, Schedule = LrScheduleKind.Constant, BatchSize = 4, MaxSteps = steps, LogSteps = 0, EvalBatchSize = 4, Seed = 3,
    };

    [Fact]
    public void DpoRaisesRewardMarginsOnHeldOutPairs()
    {
        var train = Pairs(8); var heldOut = Pairs(4, 8);   // unseen prompts
        var trainer = new DpoTrainer(new TrainableModel(Model(21)), train, Opts(40), new DpoOptions { Beta = 0.5 }, eval: heldOut);
        Assert.Equal("initial policy (cached before training)", trainer.ReferenceDescription);
        var m0 = trainer.Evaluate().Extra["rewards/margins"];
        Assert.True(Math.Abs(m0) < 1e-3, $"policy = reference at the start, margin {m0}");
        var r = trainer.Train();
        var m1 = r.FinalEval!.Extra["rewards/margins"];
        Assert.True(m1 > 1.0, $"held-out margin {m0:F3} → {m1:F3}");
        Assert.True(r.FinalEval.Extra["rewards/accuracies"] >= 0.99);
        Assert.True(r.FinalEval.Loss < Math.Log(2) - 0.2, $"held-out DPO loss {r.FinalEval.Loss}");
        Assert.True(r.FinalEval.Extra["rewards/chosen"] > r.FinalEval.Extra["rewards/rejected"]);
    }

    [Fact]
    public void DpoWithLoraUsesTheAdapterFreeModelAsReference()
    {
        var train = Pairs(8); var heldOut = Pairs(4, 8);
        var m = Model(22);
        var lora = LoraModel.Apply(m, new LoraConfig { Rank = 4, Alpha = 8, TargetModules = ["all-linear"] }, seed: 1);
        var trainer = new DpoTrainer(new TrainableModel(m, lora), train, Opts(40) with { LearningRate = 2e-2 }, new DpoOptions { Beta = 0.5, PrecomputeReference = false }, eval: heldOut);
        Assert.Equal("policy with LoRA adapters disabled", trainer.ReferenceDescription);
        // B = 0 at the start: policy = reference, so the first evaluation has zero margins and loss ln 2.
        var e0 = trainer.Evaluate();
        Assert.Equal(Math.Log(2), e0.Loss, 5);
        Assert.Equal(0, e0.Extra["rewards/margins"], 5);
        var r = trainer.Train();
        Assert.True(r.FinalEval!.Extra["rewards/margins"] > 1.0, $"held-out margin {r.FinalEval.Extra["rewards/margins"]:F3}");
    }

    public static List<KtoExample> Unpaired(int n, int offset = 0) =>
        Enumerable.Range(offset, n).Select(i => new KtoExample(Ids(Words[i % Words.Length] + "."), Ids(i % 2 == 0 ? Good[i / 2 % 3] : Bad[i / 2 % 3]), i % 2 == 0)).ToList();

    [Fact]
    public void KtoRaisesDesirableAndLowersUndesirableLogRatios()
    {
        var train = Unpaired(12); var heldOut = Unpaired(6, 12);
        var m = Model(23);
        var lora = LoraModel.Apply(m, new LoraConfig { Rank = 4, Alpha = 8, TargetModules = ["all-linear"] }, seed: 2);
        var trainer = new KtoTrainer(new TrainableModel(m, lora), train, Opts(40) with { LearningRate = 2e-2 }, new KtoOptions { Beta = 0.5 }, eval: heldOut);
        var e0 = trainer.Evaluate();
        Assert.Equal(0, e0.Extra["logratio/desirable"], 5);
        Assert.Equal(0, e0.Extra["logratio/undesirable"], 5);
        Assert.Equal(0.5, e0.Loss, 5); // 1 − σ(0) for every example
        var r = trainer.Train();
        var d = r.FinalEval!.Extra["logratio/desirable"]; var u = r.FinalEval.Extra["logratio/undesirable"];
        Assert.True(d > 0.5, $"desirable log-ratio {d:F3}");
        Assert.True(u < -0.5, $"undesirable log-ratio {u:F3}");
        Assert.True(r.FinalEval.Loss < 0.45, $"held-out KTO loss {r.FinalEval.Loss}");
    }

    [Fact]
    public void KtoMismatchedPairsAreTheShiftedCompletions()
    {
        Assert.Equal(4, KtoTrainer.MismatchedPartner(0, 5));
        Assert.Equal(2, KtoTrainer.MismatchedPartner(3, 5));
    }

    [Fact]
    public void AptSftTermIsAlphaTimesTheTokenMeanNllOfChosenCompletions()
    {
        var pairs = Pairs(5);
        var m = Model(24);
        var lora = LoraModel.Apply(m, new LoraConfig { Rank = 2, TargetModules = ["q_proj"] }, seed: 1);
        var trainer = new DpoTrainer(new TrainableModel(m, lora), pairs, Opts(1) with { EvalBatchSize = 2 }, new DpoOptions { Beta = 0.1, SftAlpha = 0.5 }, eval: pairs);
        var e = trainer.Evaluate();
        // Independent NLL: each prompt+chosen alone, CE of every chosen token from the logits, averaged over all of them.
        double nll = 0; int tokens = 0;
        using (Engine.Runtime.Autograd.NoGrad())
            foreach (var p in pairs)
            {
                var ids = p.PromptIds.Concat(p.ChosenIds).ToArray();
                var logits = m.Forward(Engine.Runtime.Tensor.FromArray(ids.Select(x => (long)x).ToArray(), 1, ids.Length)).ToDoubleArray();
                for (int t = p.PromptIds.Length - 1; t + 1 < ids.Length; t++) { nll += ReferenceCe(logits, 28, t, ids[t + 1]); tokens++; }
            }
        Assert.Equal(nll / tokens, e.Extra["sft_nll"], 4);
        Assert.Equal(Math.Log(2) + 0.5 * nll / tokens, e.Loss, 4);   // policy = reference at the start: DPO term ln 2
    }
}
