using Engine.Methods.Training;
using Engine.Methods.Training.Checkpoints;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Sampling;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Methods.Pruning.DRPruning;

/// <summary>
/// Training with a steered domain mixture, with or without L0 masks: DRPruning's pruning stage (masks sampled fresh
/// for every micro-batch, the Lagrangian added to the LM loss, mask log α and λ as their own parameter groups, λ by
/// ascent) and its continued pre-training (no masks). Every <see cref="DomainControllerOptions.UpdateEvery"/> steps the
/// <see cref="DomainController"/> reads the per-domain losses — held out (an evaluation pass with the deterministic
/// masks) or from the training batches — and hands the sampler its next mixture. The controller's state, the mask
/// noise stream, the groups and the sampler are all in every checkpoint: a resumed run is the uninterrupted one.
/// </summary>
public sealed class DrPruningTrainer : SftTrainer
{
    private readonly L0Module? _l0;
    private readonly DomainController _controller;
    private readonly DomainMixtureSampler _sampler;
    private readonly int[] _trainDomains, _evalDomains;
    // This step's per-domain training sums: row = micro-batch index in the step, [Σ CE of each domain, tokens of each domain].
    // Observed in micro-batch order at the step's end, after summing the rows over ranks (each row has one contributor).
    private double[] _stepObservations = [];
    private double[]? _evalSums, _evalCounts;
    private StructuralMasks? _evalMasks;

    public L0Module? L0 => _l0;
    public DomainController Controller => _controller;
    public DomainMixtureSampler MixtureSampler => _sampler;

    /// <param name="trainDomains">Domain id (index into the controller's domains) of every training example.</param>
    /// <param name="evalDomains">Domain id of every held-out example (every domain must have some when losses are held out).</param>
    /// <param name="l0">The masks to train (pruning), or null (continued pre-training).</param>
    /// <param name="maskLearningRate">lag_lr: the masks' learning rate and the λ's (ascending).</param>
    public DrPruningTrainer(TrainableModel model, IReadOnlyList<SftExample> train, int[] trainDomains, IReadOnlyList<SftExample> eval, int[] evalDomains,
        TrainerOptions options, DomainController controller, L0Module? l0 = null, double maskLearningRate = 1.0)
        : this(model, train, trainDomains, eval, evalDomains, options, controller, l0, maskLearningRate,
               new DomainMixtureSampler(trainDomains, controller.InitialRatio, options.StepBatchSize, options.Seed))
    { }

    private DrPruningTrainer(TrainableModel model, IReadOnlyList<SftExample> train, int[] trainDomains, IReadOnlyList<SftExample> eval, int[] evalDomains,
        TrainerOptions options, DomainController controller, L0Module? l0, double maskLearningRate, DomainMixtureSampler sampler)
        : base(model, train, options, sampler, eval)
    {
        if (trainDomains.Length != train.Count) throw new ArgumentException($"{trainDomains.Length} domain ids for {train.Count} training examples.");
        if (evalDomains.Length != eval.Count) throw new ArgumentException($"{evalDomains.Length} domain ids for {eval.Count} held-out examples.");
        int k = controller.Domains.Count;
        if (controller.NeedsEvalLosses)
            for (int d = 0; d < k; d++)
                if (!evalDomains.Contains(d)) throw new ArgumentException($"Domain '{controller.Domains[d]}' has no held-out records; the controller reads held-out losses of every domain.");
        _l0 = l0; _controller = controller; _sampler = sampler;
        _trainDomains = trainDomains; _evalDomains = evalDomains;
        if (l0 is not null)
        {
            if (l0.Source.NumLayers != model.Model.Config.NumLayers || l0.Source.HiddenSize != model.Model.Config.HiddenSize)
                throw new ArgumentException("The L0 module was built for another model shape.");
            AddParameterGroup(l0.MaskGroup(maskLearningRate));
            AddParameterGroup(l0.LambdaGroup(maskLearningRate));
            RegisterGenerator("l0_noise", l0.Noise);
        }
        RegisterState("domain_controller", () => new MethodState(_controller.Save()), s => _controller.Restore(s.Json ?? throw new InvalidDataException("The domain controller's state is empty.")));
    }

    public override string Method => _l0 is null ? "drpruning-continue" : "drpruning-prune";

    protected override void BeginStep(StepExamples<SftExample> step)
    {
        base.BeginStep(step);
        if (step.Training) _stepObservations = new double[step.Count * 2 * _controller.Domains.Count]; // at most one micro-batch per example
        if (!step.Training && _l0 is not null)
        {
            // Evaluation sees the deterministic masks (LLM-Shearing's eval mode), sized by the current scores.
            _l0.Constrain();
            _evalMasks = _l0.Deterministic(exactTargets: false);
        }
    }

    protected override MicroBatchLoss ComputeLoss(IReadOnlyList<SftExample> micro, double stepUnits, TrainingStepContext ctx)
    {
        if (_l0 is not null)
        {
            if (ctx.Training)
            {
                _l0.Constrain();
                Model.Model.Masks = _l0.Sample();
            }
            else Model.Model.Masks = _evalMasks;
        }
        var r = base.ComputeLoss(micro, stepUnits, ctx);
        var (sums, counts) = DomainSums(ctx, ctx.Training ? _trainDomains : _evalDomains);
        if (ctx.Training)
        {
            int k = sums.Length, row = ctx.MicroBatch * 2 * k;
            sums.CopyTo(_stepObservations, row); counts.CopyTo(_stepObservations, row + k);
            var w = _sampler.Weights;
            for (int d = 0; d < w.Count; d++) ctx.Metrics["weight/" + _controller.Domains[d]] = w[d] * ctx.Share;
            if (_l0 is not null) ctx.Metrics["expected_sparsity"] = _l0.ExpectedOverallSparsity() * ctx.Share;
        }
        else if (_evalSums is not null)
            for (int d = 0; d < sums.Length; d++) { _evalSums[d] += sums[d]; _evalCounts![d] += counts[d]; }
        return r;
    }

    /// <summary>Per-domain Σ token CE and loss-bearing token counts of a micro-batch.</summary>
    private (double[] Sums, double[] Counts) DomainSums(TrainingStepContext ctx, int[] domainOf)
    {
        int k = _controller.Domains.Count;
        var sums = new double[k]; var counts = new double[k];
        double[] rows;
        using (Autograd.NoGrad()) rows = Ops.Sum(ctx.PerTokenLoss!.Detach(), 1).ToDoubleArray();
        for (int i = 0; i < rows.Length; i++)
        {
            int d = domainOf[ctx.ExampleIndices[i]];
            sums[d] += rows[i]; counts[d] += ctx.Batch!.CountedTokens[i];
        }
        return (sums, counts);
    }

    protected override IEnumerable<ExtraLoss> ExtraLosses(TrainingStepContext ctx)
    {
        if (_l0 is not null) yield return ExtraLoss.Mean("lagrangian", _l0.Lagrangian(ctx.Step));
    }

    protected override void OnStepEnd(StepMetrics metrics)
    {
        ObserveStep();
        base.OnStepEnd(metrics);
        if (Step % _controller.Options.UpdateEvery != 0 || _controller.Options.Controller == MixtureController.Constant) return;
        var losses = _controller.NeedsEvalLosses ? HeldOutDomainLosses() : null;
        var weights = _controller.Update(Step, TotalSteps, losses, _sampler.Weights, _l0?.ExpectedOverallSparsity(), _l0?.TargetSparsity);
        if (weights is not null) _sampler.SetWeights(weights);
    }

    /// <summary>
    /// Hands the controller this step's training losses, micro-batch by micro-batch in the step's order. Data parallel:
    /// each rank filled the rows of its own micro-batches, so the sum over ranks is every row exactly, and every rank
    /// makes the same (order-dependent, EMA) observations one process makes.
    /// </summary>
    private void ObserveStep()
    {
        int k = _controller.Domains.Count;
        if (Communicator.Size > 1) Communicator.AllReduceSum(_stepObservations);
        for (int row = 0; row + 2 * k <= _stepObservations.Length; row += 2 * k)
        {
            var counts = _stepObservations.AsSpan(row + k, k);
            bool any = false;
            foreach (var c in counts) any |= c != 0;
            if (any) _controller.ObserveTraining(_stepObservations[row..(row + k)], counts.ToArray());
        }
        _stepObservations = [];
    }

    /// <summary>Token-mean held-out loss of every domain (one evaluation pass).</summary>
    public double[] HeldOutDomainLosses()
    {
        int k = _controller.Domains.Count;
        _evalSums = new double[k]; _evalCounts = new double[k];
        try
        {
            Evaluate();
            return _evalSums.Select((s, d) => _evalCounts[d] > 0 ? s / _evalCounts[d] : 0).ToArray();
        }
        finally { _evalSums = null; _evalCounts = null; }
    }
}
