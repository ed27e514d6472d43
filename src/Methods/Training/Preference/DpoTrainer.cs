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
public sealed class DpoTrainer : TrainerBase<PreferenceExample>
{
    private readonly DpoOptions _dpo;
    private readonly ReferencePolicy _reference;
    private readonly ReferenceCache _cache = new(2);
    private double _stepChosenTokens;

    public DpoTrainer(TrainableModel model, IReadOnlyList<PreferenceExample> train, TrainerOptions options, DpoOptions dpo,
        TransformerModel? referenceModel = null, IBatchSampler? sampler = null, IReadOnlyList<PreferenceExample>? eval = null)
        : base(model, train, options, sampler, eval)
    {
        _dpo = dpo;
        _reference = new ReferencePolicy(model, referenceModel);
        if (!dpo.PrecomputeReference && !_reference.IsStable)
            throw new ArgumentException("Per-batch reference log-probs need LoRA (adapters off = reference) or a separate reference model; otherwise precompute them.");
    }

    public override string Method => "dpo";
    public string ReferenceDescription => _reference.Describe;

    protected override double NormalizerUnits(IReadOnlyList<PreferenceExample> stepExamples) => stepExamples.Count;

    protected override void BeginStep(IReadOnlyList<PreferenceExample> stepExamples)
    {
        _stepChosenTokens = 0;
        foreach (var e in stepExamples)
        {
            var (p, c) = TokenBatch.Truncate(e.PromptIds, e.ChosenIds, Options.MaxLength);
            _stepChosenTokens += c.Length - (p.Length == 0 && c.Length > 0 ? 1 : 0);
        }
    }

    private TokenBatch Batch(IReadOnlyList<PreferenceExample> ex) =>
        TokenBatch.FromCompletions(ex.Select(e => (e.PromptIds, e.ChosenIds)).Concat(ex.Select(e => (e.PromptIds, e.RejectedIds))).ToList(),
            Options.MaxLength, Options.PadTokenId).To(Model.Model.Device);

    protected override void BeforeTraining()
    {
        if (!_dpo.PrecomputeReference || _cache.IsReady) return;
        Model.Training = false;
        try
        {
            _cache.Fill(false, TrainSet.Count, Options.EvalBatchSize, idx => RefRows(idx.Select(i => TrainSet[i]).ToArray()));
            if (EvalSet is { } ev) _cache.Fill(true, ev.Count, Options.EvalBatchSize, idx => RefRows(idx.Select(i => ev[i]).ToArray()));
        }
        finally { Model.Training = true; }
    }

    /// <summary>Reference (chosen, rejected) sums, interleaved per example.</summary>
    private double[] RefRows(IReadOnlyList<PreferenceExample> ex)
    {
        var s = _reference.SequenceLogProbs(Batch(ex)).ToDoubleArray();
        int b = ex.Count;
        var r = new double[2 * b];
        for (int i = 0; i < b; i++) { r[2 * i] = s[i]; r[2 * i + 1] = s[b + i]; }
        return r;
    }

    protected override void SaveExtraState(string dir) { if (_cache.IsReady) _cache.Save(dir); }
    protected override void LoadExtraState(string dir) => _cache.TryLoad(dir);

    protected override MicroBatchLoss ComputeLoss(IReadOnlyList<PreferenceExample> micro, double stepUnits, TrainingStepContext ctx)
    {
        int b = micro.Count;
        var batch = Batch(micro);
        var logits = Model.Model.Forward(batch.Ids, batch.KeyMask);
        var (sums, tokenLp) = SequenceLogProbs.FromLogits(logits, batch);
        var policyChosen = sums.Narrow(0, 0, b);
        var policyRejected = sums.Narrow(0, b, b);
        double[] refC = new double[b], refR = new double[b];
        if (_dpo.PrecomputeReference)
            for (int i = 0; i < b; i++) { refC[i] = _cache.Get(!ctx.Training, ctx.ExampleIndices[i], 0); refR[i] = _cache.Get(!ctx.Training, ctx.ExampleIndices[i], 1); }
        else
        {
            var rows = RefRows(micro);
            for (int i = 0; i < b; i++) { refC[i] = rows[2 * i]; refR[i] = rows[2 * i + 1]; }
        }
        var dt = sums.DType;
        Tensor Const(double[] v) { var t = Tensor.FromArray(v).To(dt); return sums.Device.IsCpu ? t : t.To(sums.Device); }
        var r = PreferenceLosses.Dpo(policyChosen, policyRejected, Const(refC), Const(refR), _dpo.Beta);
        double denom = Math.Max(1, stepUnits);
        var loss = Ops.Scale(Ops.Sum(r.Losses), 1.0 / denom);
        var metrics = new Dictionary<string, double>();
        if (_dpo.SftAlpha != 0)
        {
            // APT: α · token-mean NLL over the step's chosen-completion tokens (the first half of the rows).
            var nll = Ops.Scale(Ops.Sum(tokenLp.Narrow(0, 0, b)), -1.0 / Math.Max(1, _stepChosenTokens));
            metrics["sft_nll"] = nll.Item();
            loss = Ops.Add(loss, Ops.Scale(nll, _dpo.SftAlpha));
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
