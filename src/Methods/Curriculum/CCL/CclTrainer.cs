using System.Text.Json.Nodes;
using Engine.Methods.Training;
using Engine.Methods.Training.Checkpoints;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Sampling;
using Engine.Runtime;

namespace Engine.Methods.Curriculum.CCL;

/// <summary>What CCL measured at the start of an epoch (or set without measuring: R-Drop, a uniform first epoch).</summary>
public sealed record CclEpochStats(int Epoch, bool Measured, double Proficiency, double TrainConsistency, double TrainConsistencyStd,
    double ValidConsistency, double WeightMean, double WeightStd, double DifficultyMean);

/// <summary>
/// Curriculum consistency learning as an SFT trainer. Each training micro-batch runs two forwards — the input under
/// two dropout masks, or the original and the paraphrased prompt — and its loss is
/// L = (1/N) Σ_n w_n (L_LM,n + α·L_CL,n) over the step's N examples, with L_LM the token-mean NLL (of both passes
/// averaged for the dropout view, of the original input for a paraphrase view) and L_CL the response-token mean of the
/// symmetric KL between the views. Before every epoch one pass without gradients (dropout on) measures L_CL of every
/// training and validation example; from them come each example's difficulty S, the proficiency C and the weights
/// w = exp(1 − |C − S|) − 1 (<see cref="CclFormulas"/>), fixed for the epoch and saved in every checkpoint (state
/// <c>ccl</c>). With <see cref="CclWeighting.Uniform"/> w ≡ 1 and nothing is measured: R-Drop.
/// </summary>
public class CclTrainer : SftTrainer
{
    public const string StateName = "ccl";
    /// <summary>Metric names of the per-epoch estimates (on every step's line; constant within an epoch).</summary>
    public const string WeightMeanMetric = "ccl_w_mean", WeightStdMetric = "ccl_w_std", KlMeanMetric = "ccl_kl_mean",
        KlStdMetric = "ccl_kl_std", ProficiencyMetric = "ccl_c", KlStepMetric = "kl";

    private readonly CclOptions _ccl;
    private readonly SftExample?[] _views;
    private readonly IReadOnlyList<CclExample> _validation;
    private double[] _weights, _difficulty, _consistency;
    private double _stepScale = 1;
    private Tensor? _pendingKl;
    private readonly List<CclEpochStats> _epochs = [];

    public CclOptions CclOptions => _ccl;
    /// <summary>Per-example weights of the current epoch (training-set order).</summary>
    public IReadOnlyList<double> Weights => _weights;
    public IReadOnlyList<double> Difficulties => _difficulty;
    /// <summary>Per-example consistency L_CL of the last measurement (training-set order).</summary>
    public IReadOnlyList<double> Consistency => _consistency;
    /// <summary>One entry per epoch begun (or restored), in order.</summary>
    public IReadOnlyList<CclEpochStats> Epochs => _epochs;

    /// <param name="validation">Held out from training: its mean consistency against the training set's gives the proficiency.</param>
    /// <param name="eval">Held-out set for the trainer's usual evaluation loss (may be the validation examples).</param>
    public CclTrainer(TrainableModel model, IReadOnlyList<CclExample> train, IReadOnlyList<CclExample> validation, TrainerOptions options,
        CclOptions? ccl = null, IBatchSampler? sampler = null, IReadOnlyList<SftExample>? eval = null)
        : base(Prepare(model, ccl ??= new CclOptions()), train.Select(e => e.Example).ToList(), options, sampler, eval,
               new SftOptions { Normalization = SftLossNormalization.ExampleMean })
    {
        _ccl = ccl;
        if (ccl.Weighting == CclWeighting.Curriculum && validation.Count == 0)
            throw new ArgumentException("CCL needs a validation set (held out from training) to measure the model's proficiency.");
        _views = train.Select(e => e.View).ToArray();
        _validation = validation;
        _weights = Enumerable.Repeat(1.0, train.Count).ToArray();
        _difficulty = new double[train.Count];
        _consistency = new double[train.Count];
        RegisterState(StateName, SaveState, RestoreState);
    }

    /// <summary>
    /// Give the decoder the dropout the second view needs, before the trainer seeds it: <see cref="CclOptions.Dropout"/>
    /// on attention and residual, or 0.1 each when the model has none. Returns the rates set (baselines use the same).
    /// </summary>
    public static (double Attention, double Hidden) ApplyDropout(TrainableModel model, CclOptions ccl)
    {
        ccl.Validate();
        var m = model.Model;
        if (ccl.Dropout is { } d) { m.AttentionDropout = d; m.HiddenDropout = d; }
        else if (!model.HasDecoderDropout) { m.AttentionDropout = 0.1; m.HiddenDropout = 0.1; }
        return (m.AttentionDropout, m.HiddenDropout);
    }

    private static TrainableModel Prepare(TrainableModel model, CclOptions ccl) { ApplyDropout(model, ccl); return model; }

    public override string Method => "ccl";

    protected override double ExampleWeight(bool training, int index) =>
        training ? _weights[index] * _stepScale * TrainSet[index].Weight : base.ExampleWeight(training, index);

    protected override void BeginStep(StepExamples<SftExample> step)
    {
        base.BeginStep(step);
        if (!step.Training) return;
        double mean = step.Indices.Average(i => _weights[i]);
        _stepScale = _ccl.NormalizeWeights && mean > 0 ? 1 / mean : 1;
    }

    // ---- the epoch's curriculum ----

    protected override void OnEpochBegin(int epoch)
    {
        base.OnEpochBegin(epoch);
        bool measure = _ccl.Weighting == CclWeighting.Curriculum && !(epoch == 0 && _ccl.FirstEpoch == CclFirstEpoch.Uniform);
        if (!measure)
        {
            Array.Fill(_weights, 1.0);
            _epochs.Add(new CclEpochStats(epoch, false, double.NaN, double.NaN, double.NaN, double.NaN, 1, 0, double.NaN));
            return;
        }
        _consistency = Measure(TrainSet.Count, i => (TrainSet[i], _views[i]));
        var valid = Measure(_validation.Count, i => (_validation[i].Example, _validation[i].View));
        _difficulty = CclFormulas.Difficulties(_consistency, _ccl.Difficulty);
        var (trainMean, trainStd) = CclFormulas.MeanStd(_consistency);
        double validMean = valid.Average();
        double c = CclFormulas.Proficiency(trainMean, validMean, _ccl.Lambda);
        _weights = CclFormulas.Weights(c, _difficulty);
        var (wMean, wStd) = CclFormulas.MeanStd(_weights);
        _epochs.Add(new CclEpochStats(epoch, true, c, trainMean, trainStd, validMean, wMean, wStd, _difficulty.Average()));
    }

    /// <summary>L_CL of every example of a set: both views in training mode (dropout on), no gradients.</summary>
    private double[] Measure(int count, Func<int, (SftExample Example, SftExample? View)> item)
    {
        var result = new double[count];
        int batch = Math.Max(1, Options.EvalBatchSize);
        Model.Training = true;
        using var noGrad = Autograd.NoGrad();
        using var precision = Autocast.For(Precision);
        for (int start = 0; start < count; start += batch)
        {
            var idx = Enumerable.Range(start, Math.Min(batch, count - start)).ToArray();
            var items = idx.Select(item).ToArray();
            var (a, b) = Views(items);
            // Two forwards even when b is a: the second draws other dropout masks.
            var kl = CclConsistency.PerExample(Model.Model.Forward(a.Ids, a.KeyMask), a, Model.Model.Forward(b.Ids, b.KeyMask), b);
            var values = kl.ToDoubleArray();
            for (int k = 0; k < idx.Length; k++) result[idx[k]] = values[k];
        }
        return result;
    }

    /// <summary>The two views' batches; the same batch object when no example has a paraphrase (the dropout view).</summary>
    private (TokenBatch A, TokenBatch B) Views(IReadOnlyList<(SftExample Example, SftExample? View)> items)
    {
        var a = TokenBatch.FromSft(items.Select(x => x.Example).ToArray(), Options.MaxLength, Options.PadTokenId).To(Model.Model.Device);
        if (items.All(x => x.View is null)) return (a, a);
        var b = TokenBatch.FromSft(items.Select(x => x.View ?? x.Example).ToArray(), Options.MaxLength, Options.PadTokenId).To(Model.Model.Device);
        return (a, b);
    }

    // ---- the loss ----

    protected override MicroBatchLoss ComputeLoss(IReadOnlyList<SftExample> micro, double stepUnits, TrainingStepContext ctx)
    {
        if (!ctx.Training) return base.ComputeLoss(micro, stepUnits, ctx);
        var items = ctx.ExampleIndices.Select((i, k) => (micro[k], _views[i])).ToArray();
        var (a, b) = Views(items);
        var terms = CclLoss.Compute(Model.Model, a, b, items.Select(x => x.Item2 is not null).ToArray());
        // The LM term here; α·L_CL goes through ExtraLosses, which the trainer weights by the same w and averages over the step.
        var loss = CclLoss.Weighted(terms.Lm, ctx.ExampleWeights, stepUnits);
        _pendingKl = terms.Consistency;
        ctx.Batch = a; ctx.Logits = terms.LogitsA; ctx.PerTokenLoss = terms.PerTokenCeA;
        int rows = a.Rows;
        double share = rows / Math.Max(1, stepUnits);
        var ones = Enumerable.Repeat(1.0, rows).ToArray();
        var metrics = new Dictionary<string, double>();
        using (Autograd.NoGrad())
        {
            metrics["ce"] = CclLoss.Weighted(terms.NllA.Detach(), ones, stepUnits).Item();
            metrics[KlStepMetric] = CclLoss.Weighted(terms.Consistency.Detach(), ones, stepUnits).Item();
        }
        if (_epochs.Count > 0)
        {
            var e = _epochs[^1];
            metrics[WeightMeanMetric] = e.WeightMean * share;
            metrics[WeightStdMetric] = e.WeightStd * share;
            if (e.Measured)
            {
                metrics[KlMeanMetric] = e.TrainConsistency * share;
                metrics[KlStdMetric] = e.TrainConsistencyStd * share;
                metrics[ProficiencyMetric] = e.Proficiency * share;
            }
        }
        return new MicroBatchLoss(loss, a.Lengths.Sum(), share, metrics);
    }

    /// <summary>α·L_CL per example; the trainer multiplies each by the example's weight and averages over the step.</summary>
    protected override IEnumerable<ExtraLoss> ExtraLosses(TrainingStepContext ctx)
    {
        foreach (var t in base.ExtraLosses(ctx)) yield return t;
        if (!ctx.Training || _pendingKl is null) yield break;
        var kl = _pendingKl; _pendingKl = null;
        if (_ccl.Alpha > 0) yield return ExtraLoss.PerExample("consistency", Ops.Scale(kl, _ccl.Alpha));
    }

    // ---- checkpoint state ----

    private MethodState SaveState() => new(
        new JsonObject
        {
            ["weighting"] = _ccl.Weighting.ToString(), ["alpha"] = _ccl.Alpha, ["lambda"] = _ccl.Lambda,
            ["examples"] = _weights.Length,
            ["epochs"] = new JsonArray(_epochs.Select(e => (JsonNode)new JsonObject
            {
                ["epoch"] = e.Epoch, ["measured"] = e.Measured, ["c"] = Num(e.Proficiency), ["train_kl"] = Num(e.TrainConsistency),
                ["train_kl_std"] = Num(e.TrainConsistencyStd), ["valid_kl"] = Num(e.ValidConsistency), ["w_mean"] = Num(e.WeightMean),
                ["w_std"] = Num(e.WeightStd), ["s_mean"] = Num(e.DifficultyMean),
            }).ToArray()),
        },
        new Dictionary<string, Tensor>
        {
            ["weights"] = Tensor.FromArray(_weights, _weights.Length),
            ["difficulty"] = Tensor.FromArray(_difficulty, _difficulty.Length),
            ["consistency"] = Tensor.FromArray(_consistency, _consistency.Length),
        });

    private void RestoreState(MethodState s)
    {
        var j = s.Json ?? throw new InvalidDataException("The CCL checkpoint state has no JSON part.");
        string weighting = j["weighting"]!.GetValue<string>();
        double alpha = j["alpha"]!.GetValue<double>(), lambda = j["lambda"]!.GetValue<double>();
        if (weighting != _ccl.Weighting.ToString() || alpha != _ccl.Alpha || lambda != _ccl.Lambda)
            throw new InvalidDataException($"The checkpoint was written by CCL with weighting {weighting}, α {alpha}, λ {lambda}; this run uses {_ccl.Weighting}, α {_ccl.Alpha}, λ {_ccl.Lambda}.");
        int n = j["examples"]!.GetValue<int>();
        if (n != TrainSet.Count) throw new InvalidDataException($"The CCL checkpoint state is for {n} training examples; this run has {TrainSet.Count}.");
        _weights = s.Tensor("weights").ToDoubleArray();
        _difficulty = s.Tensor("difficulty").ToDoubleArray();
        _consistency = s.Tensor("consistency").ToDoubleArray();
        _epochs.Clear();
        foreach (var e in j["epochs"]!.AsArray())
            _epochs.Add(new CclEpochStats(e!["epoch"]!.GetValue<int>(), e["measured"]!.GetValue<bool>(), Get(e, "c"), Get(e, "train_kl"),
                Get(e, "train_kl_std"), Get(e, "valid_kl"), Get(e, "w_mean"), Get(e, "w_std"), Get(e, "s_mean")));
    }

    private static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
    private static double Get(JsonNode e, string key) => e[key] is JsonValue v ? v.GetValue<double>() : double.NaN;
}
