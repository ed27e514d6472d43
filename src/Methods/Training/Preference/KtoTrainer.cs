using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Sampling;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Methods.Training.Preference;

public sealed record KtoOptions
{
    public double Beta { get; init; } = 0.1;
    /// <summary>λ_D, the weight of desirable examples' losses.</summary>
    public double DesirableWeight { get; init; } = 1.0;
    /// <summary>λ_U, the weight of undesirable examples' losses.</summary>
    public double UndesirableWeight { get; init; } = 1.0;
    public bool PrecomputeReference { get; init; } = true;
}

/// <summary>
/// Kahneman–Tversky Optimisation as TRL implements it: every example i also has a mismatched pair (prompt i,
/// completion of example i−1 in dataset order, TRL's shift), and the reference point z0 is the mean of the policy/
/// reference log-ratios of the mismatched pairs over the whole optimizer step (all its micro-batches, as TRL gathers the
/// estimate across the global batch), clamped at 0 and detached. The policy's mismatched log-probs are computed without
/// gradient in training mode (TRL), before the step's micro-batches, so 1×8 and 2×4 accumulation give the same update.
/// Loss = Σ over the step's examples of λ_D(1 − σ(β(r − z0))) for desirable and λ_U(1 − σ(β(z0 − r))) for undesirable,
/// over the step's example count. Evaluation estimates z0 over the whole held-out set.
/// </summary>
public class KtoTrainer(TrainableModel model, IReadOnlyList<KtoExample> train, TrainerOptions options, KtoOptions kto,
    TransformerModel? referenceModel = null, IBatchSampler? sampler = null, IReadOnlyList<KtoExample>? eval = null)
    : PreferenceTrainerBase<KtoExample>(model, train, options, sampler, eval, referenceModel, kto.PrecomputeReference, valuesPerExample: 2)
{
    private double _stepDesirable, _stepUndesirable, _z0;
    /// <summary>Reference values [matched, mismatched][i] of the current step's micro-batches, by micro-batch.</summary>
    private readonly List<double[][]> _stepReference = [];

    public KtoOptions KtoOptions { get; } = kto;

    /// <summary>The KL reference point z0 of the step (or evaluation pass) being computed.</summary>
    public double ReferencePoint => _z0;

    public override string Method => "kto";

    protected override double NormalizerUnits(IReadOnlyList<KtoExample> stepExamples) => stepExamples.Count;

    /// <summary>The completion paired with example <paramref name="index"/>'s prompt for the KL estimate.</summary>
    public static int MismatchedPartner(int index, int count) => (index - 1 + count) % count;

    private TokenBatch Matched(IReadOnlyList<KtoExample> set, IReadOnlyList<int> indices) =>
        TokenBatch.FromCompletions(indices.Select(i => (set[i].PromptIds, set[i].CompletionIds)).ToList(), Options.MaxLength, Options.PadTokenId).To(Model.Model.Device);

    private TokenBatch Mismatched(IReadOnlyList<KtoExample> set, IReadOnlyList<int> indices) =>
        TokenBatch.FromCompletions(indices.Select(i => (set[i].PromptIds, set[MismatchedPartner(i, set.Count)].CompletionIds)).ToList(),
            Options.MaxLength, Options.PadTokenId).To(Model.Model.Device);

    protected override IReadOnlyList<TokenBatch> ReferenceBatches(IReadOnlyList<KtoExample> set, int[] indices) => [Matched(set, indices), Mismatched(set, indices)];

    /// <summary>z0 over every example of the step: one no-grad policy pass per micro-batch on the mismatched pairs.</summary>
    protected override void BeginStep(StepExamples<KtoExample> step)
    {
        _stepDesirable = step.Examples.Count(e => e.Desirable);
        _stepUndesirable = step.Count - _stepDesirable;
        _stepReference.Clear();
        var set = SetOf(step.Training);
        var policyKl = new List<double>(step.Count); var refKl = new List<double>(step.Count);
        foreach (var (idx, _) in step.MicroBatches())
        {
            var indices = idx.ToArray();
            var reference = ReferenceValues(step.Training, indices);
            _stepReference.Add(reference);
            using (Autograd.NoGrad()) policyKl.AddRange(SequenceLogProbs.Compute(Model.Model, Mismatched(set, indices)).sums.ToDoubleArray());
            refKl.AddRange(reference[1]);
        }
        _z0 = PreferenceLosses.KlReferencePoint(Tensor.FromArray(policyKl.ToArray()), Tensor.FromArray(refKl.ToArray()));
    }

    protected override MicroBatchLoss ComputeLoss(IReadOnlyList<KtoExample> micro, double stepUnits, TrainingStepContext ctx)
    {
        int b = micro.Count;
        var matched = Matched(SetOf(ctx), ctx.ExampleIndices);
        var logits = Model.Model.Forward(matched.Ids, matched.KeyMask);
        var (policy, _) = SequenceLogProbs.FromLogits(logits, matched);
        var refM = _stepReference[ctx.MicroBatch][0];
        var desirable = micro.Select(e => e.Desirable).ToArray();
        var losses = PreferenceLosses.Kto(policy, Const(refM, policy), desirable, _z0, KtoOptions.Beta, KtoOptions.DesirableWeight, KtoOptions.UndesirableWeight);
        double denom = Math.Max(1, stepUnits);
        var loss = Ops.Scale(Ops.Sum(losses), 1.0 / denom);
        ctx.Batch = matched; ctx.Logits = logits;

        var p = policy.ToDoubleArray();
        double chosen = 0, rejected = 0;
        for (int i = 0; i < b; i++)
        {
            double reward = KtoOptions.Beta * (p[i] - refM[i]);
            if (desirable[i]) chosen += reward; else rejected += reward;
        }
        var metrics = new Dictionary<string, double>
        {
            ["kl"] = _z0 * b / denom,
            ["rewards/chosen"] = _stepDesirable > 0 ? chosen / _stepDesirable : 0,
            ["rewards/rejected"] = _stepUndesirable > 0 ? rejected / _stepUndesirable : 0,
            ["logratio/desirable"] = _stepDesirable > 0 ? desirable.Select((d, i) => d ? p[i] - refM[i] : 0).Sum() / _stepDesirable : 0,
            ["logratio/undesirable"] = _stepUndesirable > 0 ? desirable.Select((d, i) => d ? 0 : p[i] - refM[i]).Sum() / _stepUndesirable : 0,
        };
        return new MicroBatchLoss(loss, matched.Lengths.Sum(), b / denom, metrics);
    }
}
