using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Sampling;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Methods.Training.Preference;

public sealed record DpoOptions
{
    /// <summary>β: the strength of the implicit KL penalty (TRL default 0.1).</summary>
    public double Beta { get; init; } = 0.1;
    /// <summary>α of APT's L = L_DPO + α·NLL(chosen), the NLL a token mean over the step's chosen tokens (0 = plain DPO).</summary>
    public double SftAlpha { get; init; }
    /// <summary>Compute π_ref once before training and cache it (else per batch, which needs LoRA or a separate reference model).</summary>
    public bool PrecomputeReference { get; init; } = true;
}

/// <summary>
/// Direct Preference Optimisation with the sigmoid loss, logging TRL's rewards/chosen, rewards/rejected,
/// rewards/margins and rewards/accuracies (means over the step's pairs).
/// </summary>
public class DpoTrainer(TrainableModel model, IReadOnlyList<PreferenceExample> train, TrainerOptions options, DpoOptions dpo,
    TransformerModel? referenceModel = null, IBatchSampler? sampler = null, IReadOnlyList<PreferenceExample>? eval = null)
    : PreferenceTrainerBase<PreferenceExample>(model, train, options, sampler, eval, referenceModel, dpo.PrecomputeReference, valuesPerExample: 2)
{
    private double _stepChosenTokens;

    public DpoOptions DpoOptions { get; } = dpo;

    public override string Method => "dpo";

    protected override double NormalizerUnits(IReadOnlyList<PreferenceExample> stepExamples) => stepExamples.Count;

    protected override void BeginStep(StepExamples<PreferenceExample> step)
    {
        _stepChosenTokens = 0;
        foreach (var e in step.Examples)
        {
            var (p, c) = TokenBatch.Truncate(e.PromptIds, e.ChosenIds, Options.MaxLength);
            _stepChosenTokens += c.Length - (p.Length == 0 && c.Length > 0 ? 1 : 0);
        }
    }

    /// <summary>One batch of 2B rows: the chosen completions, then the rejected ones (the policy's forward uses the same).</summary>
    private TokenBatch Batch(IReadOnlyList<PreferenceExample> ex) =>
        TokenBatch.FromCompletions(ex.Select(e => (e.PromptIds, e.ChosenIds)).Concat(ex.Select(e => (e.PromptIds, e.RejectedIds))).ToList(),
            Options.MaxLength, Options.PadTokenId).To(Model.Model.Device);

    protected override IReadOnlyList<TokenBatch> ReferenceBatches(IReadOnlyList<PreferenceExample> set, int[] indices) => [Batch(indices.Select(i => set[i]).ToArray())];

    protected override MicroBatchLoss ComputeLoss(IReadOnlyList<PreferenceExample> micro, double stepUnits, TrainingStepContext ctx)
    {
        int b = micro.Count;
        var batch = Batch(micro);
        var logits = Model.Model.Forward(batch.Ids, batch.KeyMask);
        var (sums, tokenLp) = SequenceLogProbs.FromLogits(logits, batch);
        var policyChosen = sums.Narrow(0, 0, b);
        var policyRejected = sums.Narrow(0, b, b);
        var reference = ReferenceValues(ctx.Training, ctx.ExampleIndices.ToArray());
        var r = PreferenceLosses.Dpo(policyChosen, policyRejected, Const(reference[0], sums), Const(reference[1], sums), DpoOptions.Beta);
        double denom = Math.Max(1, stepUnits);
        var loss = Ops.Scale(Ops.Sum(r.Losses), 1.0 / denom);
        var metrics = new Dictionary<string, double>();
        if (DpoOptions.SftAlpha != 0)
        {
            // APT: α · token-mean NLL over the step's chosen-completion tokens (the first half of the rows).
            var nll = Ops.Scale(Ops.Sum(tokenLp.Narrow(0, 0, b)), -1.0 / Math.Max(1, _stepChosenTokens));
            metrics["sft_nll"] = nll.Item();
            loss = Ops.Add(loss, Ops.Scale(nll, DpoOptions.SftAlpha));
        }
        ctx.Batch = batch; ctx.Logits = logits;
        var cr = r.ChosenRewards.ToDoubleArray(); var rr = r.RejectedRewards.ToDoubleArray();
        var pc = policyChosen.ToDoubleArray(); var pr = policyRejected.ToDoubleArray();
        metrics["dpo_loss"] = r.Losses.ToDoubleArray().Sum() / denom;
        metrics["rewards/chosen"] = cr.Sum() / denom;
        metrics["rewards/rejected"] = rr.Sum() / denom;
        metrics["rewards/margins"] = cr.Zip(rr, (c, x) => c - x).Sum() / denom;
        metrics["rewards/accuracies"] = cr.Zip(rr, (c, x) => c > x ? 1.0 : 0.0).Sum() / denom;
        metrics["logps/chosen"] = pc.Sum() / denom;
        metrics["logps/rejected"] = pr.Sum() / denom;
        return new MicroBatchLoss(loss, batch.Lengths.Sum(), b / denom, metrics);
    }
}
