using System.Text.Json.Nodes;
using Engine.Runtime;

namespace Engine.Methods.Pruning.DRPruning;

/// <summary>One controller update, for logs and reports.</summary>
public sealed record ControllerUpdate(long Step, double[] Losses, double[] Reference, double[] ReferenceRatio, double[]? Weights);

/// <summary>
/// DRPruning's data-proportion controller (its DRO loading callback, the synchronous pre-parallel version), and the
/// two baselines. It reads per-domain losses — held-out at each update, or an EMA of the training batches — and
/// returns the next domain mixture for the sampler:
/// <list type="bullet">
/// <item><see cref="MixtureController.Dro"/>: the χ²-ball worst case around the reference ratio p of the excess
/// losses ℓ − ℓ_R; with the dynamic reference loss, ℓ_R is lowered to each domain's fitted scaling-law prediction;
/// with the dynamic ratio, p follows the weights (δ = 0.1) inside [p0/2, 2·p0] ∩ [min p0, max p0].</item>
/// <item><see cref="MixtureController.Sheared"/>: softmax(ln α + (ℓ − ℓ_R)) smoothed by 1e-4, ℓ_R fixed.</item>
/// <item><see cref="MixtureController.Constant"/>: never changes the mixture.</item>
/// </list>
/// Its whole state is JSON (<see cref="Save"/>/<see cref="Restore"/>), so a resumed run continues exactly.
/// </summary>
public sealed class DomainController
{
    private readonly DomainControllerOptions _o;
    private readonly bool _forPruning;
    private readonly ulong _seed;
    private double[] _pTrain, _losses, _reference, _usedTokens, _accLoss, _accCount;
    private bool[] _seen, _refitted;
    private List<double[]>[] _x;
    private List<double>[] _y;
    private readonly List<ControllerUpdate> _log = [];

    public IReadOnlyList<string> Domains { get; }
    public DomainControllerOptions Options => _o;
    /// <summary>The initial proportions p0.</summary>
    public IReadOnlyList<double> InitialRatio { get; }
    /// <summary>The reference losses the user gave (all 0 when none).</summary>
    public IReadOnlyList<double> UserReference { get; }
    /// <summary>The centre p of the χ² ball (p0, moved by the dynamic ratio).</summary>
    public IReadOnlyList<double> ReferenceRatio => _pTrain;
    /// <summary>The per-domain losses of the last update (held-out) or the running EMA (training).</summary>
    public IReadOnlyList<double> Losses => _losses;
    public IReadOnlyList<double> Reference => _reference;
    /// <summary>Loss-bearing tokens of each domain consumed by training so far (T_k).</summary>
    public IReadOnlyList<double> UsedTokens => _usedTokens;
    public IReadOnlyList<ControllerUpdate> Log => _log;
    /// <summary>The number of points in each domain's scaling-law history.</summary>
    public IReadOnlyList<int> HistorySizes => _y.Select(h => h.Count).ToArray();

    /// <summary>True when an update needs held-out per-domain losses.</summary>
    public bool NeedsEvalLosses => _o.LossSource == DomainLossSource.Eval && _o.Controller != MixtureController.Constant;

    public DomainController(DomainControllerOptions options, IReadOnlyList<string> domains, IReadOnlyList<double> initialRatio,
        IReadOnlyList<double>? referenceLoss, bool forPruning, ulong seed)
    {
        options.Validate();
        int k = domains.Count;
        if (k == 0) throw new ArgumentException("The controller needs at least one domain.");
        if (initialRatio.Count != k) throw new ArgumentException($"{initialRatio.Count} proportions for {k} domains.");
        if (initialRatio.Any(p => !(p > 0) || double.IsInfinity(p))) throw new ArgumentException("Every domain proportion must be > 0 and finite.");
        if (referenceLoss is not null && referenceLoss.Count != k) throw new ArgumentException($"{referenceLoss.Count} reference losses for {k} domains.");
        if (referenceLoss is not null && referenceLoss.Any(x => !(x >= 0) || double.IsInfinity(x))) throw new ArgumentException("Reference losses must be finite and ≥ 0.");
        if (options.Controller == MixtureController.Sheared && (referenceLoss is null || referenceLoss.All(x => x == 0)))
            throw new ArgumentException("Sheared-style dynamic loading needs reference (target) losses, one per domain.");
        _o = options; _forPruning = forPruning; _seed = seed;
        Domains = [.. domains];
        double sum = initialRatio.Sum();
        InitialRatio = initialRatio.Select(p => p / sum).ToArray();
        UserReference = referenceLoss?.ToArray() ?? new double[k];
        _pTrain = [.. InitialRatio];
        _losses = new double[k];
        _reference = [.. UserReference];
        _usedTokens = new double[k]; _accLoss = new double[k]; _accCount = new double[k];
        _seen = new bool[k]; _refitted = new bool[k];
        _x = Enumerable.Range(0, k).Select(_ => new List<double[]>()).ToArray();
        _y = Enumerable.Range(0, k).Select(_ => new List<double>()).ToArray();
    }

    /// <summary>
    /// One training micro-batch's per-domain summed token loss and loss-bearing token count: counts T_k, feeds the
    /// dynamic reference loss's accumulators and, with training losses, the EMA.
    /// </summary>
    public void ObserveTraining(IReadOnlyList<double> lossSums, IReadOnlyList<double> tokenCounts)
    {
        for (int k = 0; k < Domains.Count; k++)
        {
            _usedTokens[k] += tokenCounts[k];
            _accLoss[k] += lossSums[k];
            _accCount[k] += tokenCounts[k];
            if (_o.LossSource != DomainLossSource.Train) continue;
            double mean = lossSums[k] / (tokenCounts[k] + 1e-8);
            if (mean == 0 || double.IsNaN(mean)) continue;
            _losses[k] = !_seen[k] && _o.EmaWarmStart ? mean : (1 - _o.Ema) * _losses[k] + _o.Ema * mean;
            _seen[k] = true;
        }
    }

    /// <summary>
    /// The update after <paramref name="stepsDone"/> of <paramref name="totalSteps"/> optimizer steps: the new mixture,
    /// or null to keep the current one. <paramref name="evalLosses"/>: held-out per-domain losses (needed when
    /// <see cref="NeedsEvalLosses"/>). <paramref name="expectedSparsity"/> and <paramref name="finalSparsity"/>: the
    /// L0 module's expected overall sparsity now and its target (pruning only; the law's second input).
    /// </summary>
    public double[]? Update(long stepsDone, long totalSteps, IReadOnlyList<double>? evalLosses, IReadOnlyList<double> current,
        double? expectedSparsity = null, double? finalSparsity = null)
    {
        int k = Domains.Count;
        if (_o.Controller == MixtureController.Constant) return null;
        if (_o.LossSource == DomainLossSource.Eval)
        {
            if (evalLosses is null || evalLosses.Count != k) throw new ArgumentException($"The controller needs {k} held-out domain losses.");
            _losses = [.. evalLosses];
        }
        double[]? weights = null;
        if (_o.Controller == MixtureController.Sheared)
            weights = DroFormulas.ShearedWeights(current, _losses, _reference, _o.ShearedEta, _o.ShearedSmoothing);
        else
        {
            if (_o.DynamicReference && stepsDone >= _o.CollectFrom * totalSteps) RefitReference(stepsDone, totalSteps, expectedSparsity, finalSparsity);
            if (UserReference.Sum() > 0 || stepsDone >= _o.FitFrom * totalSteps)
            {
                var upd = DroFormulas.Weights(_pTrain, _losses, _reference, _o.Rho, _o.MinProb, _o.ClampToMin, _o.BisectionTolerance, _o.BisectionMaxIter);
                weights = upd.Weights;
                if (_o.DynamicRatio && stepsDone >= _o.RatioFrom * totalSteps)
                    _pTrain = DroFormulas.UpdateReferenceRatio(_pTrain, weights, InitialRatio, _o.RatioDelta);
            }
        }
        _log.Add(new ControllerUpdate(stepsDone, [.. _losses], [.. _reference], [.. _pTrain], weights is null ? null : [.. weights]));
        return weights;
    }

    /// <summary>Collect (T_k[, ŝ]) → ℓ_k points and, from <see cref="DomainControllerOptions.FitFrom"/> on, lower ℓ_R to the law's prediction.</summary>
    private void RefitReference(long stepsDone, long totalSteps, double? sparsity, double? finalSparsity)
    {
        int k = Domains.Count;
        double[] domainLoss;
        if (_o.LossSource == DomainLossSource.Eval) domainLoss = [.. _losses];
        else
        {
            domainLoss = _accLoss.Select((l, i) => l / (_accCount[i] + 1e-8)).ToArray();
            Array.Clear(_accLoss); Array.Clear(_accCount);
        }
        var finals = new double[k][];
        for (int i = 0; i < k; i++)
        {
            if (domainLoss[i] == 0 || double.IsNaN(domainLoss[i]) || !(_usedTokens[i] > 0)) continue;
            if (_forPruning && !(sparsity >= _o.MinSparsity)) continue;
            double[] x = _forPruning ? [_usedTokens[i], sparsity!.Value] : [_usedTokens[i]];
            double tFinal = _usedTokens[i] * totalSteps / Math.Max(1, stepsDone);
            finals[i] = _forPruning ? [tFinal, finalSparsity ?? sparsity!.Value] : [tFinal];
            _x[i].Add(x); _y[i].Add(domainLoss[i]);
            if (_y[i].Count > _o.MaxPoints)
            {
                // One of the oldest half, at random: a pure function of (seed, update, domain), so resume needs no RNG state.
                int drop = (int)(Philox.Word(_seed, (ulong)stepsDone, (ulong)i) % (uint)(_o.MaxPoints / 2));
                _x[i].RemoveAt(drop); _y[i].RemoveAt(drop);
            }
        }
        if (stepsDone < _o.FitFrom * totalSteps) return;
        for (int i = 0; i < k; i++)
        {
            if (_y[i].Count <= _o.MinPoints || finals[i] is null) continue;
            var fit = ScalingLaw.Fit(_x[i], _y[i], finals[i]);
            if (fit is null) continue;
            double baseline = Math.Min(fit.Prediction, _y[i].Min());
            _reference[i] = _refitted[i] ? Math.Min(_reference[i], baseline) : baseline;
            _refitted[i] = true;
        }
    }

    public JsonNode Save()
    {
        static JsonArray A(IEnumerable<double> v) => new(v.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
        static JsonArray B(IEnumerable<bool> v) => new(v.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
        return new JsonObject
        {
            ["domains"] = new JsonArray(Domains.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
            ["p_train"] = A(_pTrain), ["losses"] = A(_losses), ["reference"] = A(_reference), ["used_tokens"] = A(_usedTokens),
            ["acc_loss"] = A(_accLoss), ["acc_count"] = A(_accCount), ["seen"] = B(_seen), ["refitted"] = B(_refitted),
            ["x"] = new JsonArray(_x.Select(h => (JsonNode?)new JsonArray(h.Select(p => (JsonNode?)A(p)).ToArray())).ToArray()),
            ["y"] = new JsonArray(_y.Select(h => (JsonNode?)A(h)).ToArray()),
            ["log"] = new JsonArray(_log.Select(u => (JsonNode?)new JsonObject
            {
                ["step"] = u.Step, ["losses"] = A(u.Losses), ["reference"] = A(u.Reference), ["ratio"] = A(u.ReferenceRatio),
                ["weights"] = u.Weights is null ? null : A(u.Weights),
            }).ToArray()),
        };
    }

    public void Restore(JsonNode state)
    {
        int k = Domains.Count;
        static double[] D(JsonNode? n) => n!.AsArray().Select(x => x!.GetValue<double>()).ToArray();
        var domains = state["domains"]!.AsArray().Select(x => x!.GetValue<string>()).ToArray();
        if (!domains.SequenceEqual(Domains)) throw new InvalidDataException($"The checkpoint's controller has domains [{string.Join(", ", domains)}]; this run has [{string.Join(", ", Domains)}].");
        _pTrain = D(state["p_train"]); _losses = D(state["losses"]); _reference = D(state["reference"]); _usedTokens = D(state["used_tokens"]);
        _accLoss = D(state["acc_loss"]); _accCount = D(state["acc_count"]);
        _seen = state["seen"]!.AsArray().Select(x => x!.GetValue<bool>()).ToArray();
        _refitted = state["refitted"]!.AsArray().Select(x => x!.GetValue<bool>()).ToArray();
        _x = state["x"]!.AsArray().Select(h => h!.AsArray().Select(p => D(p)).ToList()).ToArray();
        _y = state["y"]!.AsArray().Select(h => D(h).ToList()).ToArray();
        _log.Clear();
        foreach (var u in state["log"]!.AsArray())
            _log.Add(new ControllerUpdate(u!["step"]!.GetValue<long>(), D(u["losses"]), D(u["reference"]), D(u["ratio"]), u["weights"] is null ? null : D(u["weights"])));
        if (_pTrain.Length != k || _x.Length != k) throw new InvalidDataException("The checkpoint's controller state does not match the number of domains.");
    }
}
