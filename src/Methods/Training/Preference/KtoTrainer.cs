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
/// Kahneman–Tversky Optimisation as TRL implements it: every example i also has a mismatched pair
/// (prompt i, completion of example i−1 in dataset order, TRL's shift), whose policy/reference log-ratios,
/// averaged over the micro-batch, clamped at 0 and detached, give the reference point z0.
/// Loss = mean over the batch of λ_D(1 − σ(β(r − z0))) for desirable and λ_U(1 − σ(β(z0 − r))) for undesirable.
/// </summary>
public sealed class KtoTrainer : TrainerBase<KtoExample>
{
    private readonly KtoOptions _kto;
    private readonly ReferencePolicy _reference;
    private readonly ReferenceCache _cache = new(2);
    private double _stepDesirable, _stepUndesirable;

    public KtoTrainer(TrainableModel model, IReadOnlyList<KtoExample> train, TrainerOptions options, KtoOptions kto,
        TransformerModel? referenceModel = null, IBatchSampler? sampler = null, IReadOnlyList<KtoExample>? eval = null)
        : base(model, train, options, sampler, eval)
    {
        _kto = kto;
        _reference = new ReferencePolicy(model, referenceModel);
        if (!kto.PrecomputeReference && !_reference.IsStable)
            throw new ArgumentException("Per-batch reference log-probs need LoRA (adapters off = reference) or a separate reference model; otherwise precompute them.");
    }

    public override string Method => "kto";

    protected override double NormalizerUnits(IReadOnlyList<KtoExample> stepExamples) => stepExamples.Count;

    protected override void BeginStep(IReadOnlyList<KtoExample> stepExamples)
    {
        _stepDesirable = stepExamples.Count(e => e.Desirable);
        _stepUndesirable = stepExamples.Count - _stepDesirable;
    }

    /// <summary>The completion paired with example <paramref name="index"/>'s prompt for the KL estimate.</summary>
    public static int MismatchedPartner(int index, int count) => (index - 1 + count) % count;

    private (TokenBatch matched, TokenBatch mismatched) Batches(IReadOnlyList<KtoExample> set, IReadOnlyList<int> indices)
    {
        var m = indices.Select(i => (set[i].PromptIds, set[i].CompletionIds)).ToList();
        var k = indices.Select(i => (set[i].PromptIds, set[MismatchedPartner(i, set.Count)].CompletionIds)).ToList();
        var dev = Model.Model.Device;
        return (TokenBatch.FromCompletions(m, Options.MaxLength, Options.PadTokenId).To(dev),
                TokenBatch.FromCompletions(k, Options.MaxLength, Options.PadTokenId).To(dev));
    }

    private double[] RefRows(IReadOnlyList<KtoExample> set, int[] indices)
    {
        var (m, k) = Batches(set, indices);
        var a = _reference.SequenceLogProbs(m).ToDoubleArray(); var b = _reference.SequenceLogProbs(k).ToDoubleArray();
        var r = new double[2 * indices.Length];
        for (int i = 0; i < indices.Length; i++) { r[2 * i] = a[i]; r[2 * i + 1] = b[i]; }
        return r;
    }

    protected override void BeforeTraining()
    {
        if (!_kto.PrecomputeReference || _cache.IsReady) return;
        Model.Training = false;
        try
        {
            _cache.Fill(false, TrainSet.Count, Options.EvalBatchSize, idx => RefRows(TrainSet, idx));
            if (EvalSet is { } ev) _cache.Fill(true, ev.Count, Options.EvalBatchSize, idx => RefRows(ev, idx));
        }
        finally { Model.Training = true; }
    }

    protected override void SaveExtraState(string dir) { if (_cache.IsReady) _cache.Save(dir); }
    protected override void LoadExtraState(string dir) => _cache.TryLoad(dir);

    protected override MicroBatchLoss ComputeLoss(IReadOnlyList<KtoExample> micro, double stepUnits, TrainingStepContext ctx)
    {
        var set = SetOf(ctx);
        var idx = ctx.ExampleIndices.ToArray();
        int b = idx.Length;
        var (matched, mismatched) = Batches(set, idx);
        var logits = Model.Model.Forward(matched.Ids, matched.KeyMask);
        var (policy, _) = SequenceLogProbs.FromLogits(logits, matched);
        Tensor policyKl;
        using (Autograd.NoGrad()) policyKl = SequenceLogProbs.Compute(Model.Model, mismatched).sums;
        double[] refM = new double[b], refK = new double[b];
        if (_kto.PrecomputeReference)
            for (int i = 0; i < b; i++) { refM[i] = _cache.Get(!ctx.Training, idx[i], 0); refK[i] = _cache.Get(!ctx.Training, idx[i], 1); }
        else
        {
            var rows = RefRows(set, idx);
            for (int i = 0; i < b; i++) { refM[i] = rows[2 * i]; refK[i] = rows[2 * i + 1]; }
        }
        var dt = policy.DType;
        Tensor Const(double[] v) { var t = Tensor.FromArray(v).To(dt); return policy.Device.IsCpu ? t : t.To(policy.Device); }
        double z0 = PreferenceLosses.KlReferencePoint(policyKl, Const(refK));
        var desirable = micro.Select(e => e.Desirable).ToArray();
        var losses = PreferenceLosses.Kto(policy, Const(refM), desirable, z0, _kto.Beta, _kto.DesirableWeight, _kto.UndesirableWeight);
        double denom = Math.Max(1, stepUnits);
        var loss = Ops.Scale(Ops.Sum(losses), 1.0 / denom);
        ctx.Batch = matched; ctx.Logits = logits;

        var p = policy.ToDoubleArray();
        double chosen = 0, rejected = 0;
        for (int i = 0; i < b; i++)
        {
            double reward = _kto.Beta * (p[i] - refM[i]);
            if (desirable[i]) chosen += reward; else rejected += reward;
        }
        var metrics = new Dictionary<string, double>
        {
            ["kl"] = z0 * b / denom,
            ["rewards/chosen"] = _stepDesirable > 0 ? chosen / _stepDesirable : 0,
            ["rewards/rejected"] = _stepUndesirable > 0 ? rejected / _stepUndesirable : 0,
            ["logratio/desirable"] = _stepDesirable > 0 ? desirable.Select((d, i) => d ? p[i] - refM[i] : 0).Sum() / _stepDesirable : 0,
            ["logratio/undesirable"] = _stepUndesirable > 0 ? desirable.Select((d, i) => d ? 0 : p[i] - refM[i]).Sum() / _stepUndesirable : 0,
        };
        return new MicroBatchLoss(loss, matched.Lengths.Sum(), b / denom, metrics);
    }
}
