using System.Text.Json.Nodes;
using Engine.Runtime;

namespace Engine.Methods.Training.Sampling;

/// <summary>
/// Every example of a step batch comes from a domain drawn i.i.d. from a weight vector that training may replace at
/// any step (<see cref="SetWeights"/>: DRPruning's DRO controller, DoReMi-style reweighting); within a domain examples
/// are taken in a seeded shuffled order, reshuffled each time the domain is used up (LLM-Shearing's dynamic loading).
/// Draws are a pure function of (seed, step) and the shuffles of (seed, domain, pass), so the state a checkpoint needs is
/// the weights and how many examples of each domain were used; a resumed run continues the same stream bit for bit.
/// </summary>
public sealed class DomainMixtureSampler : IStatefulBatchSampler
{
    private const int MaxDomains = 1024, MaxPasses = 1 << 20, MaxStepBatch = 1 << 16;
    private readonly int[][] _members;
    private readonly int _stepBatch, _stepsPerEpoch;
    private readonly ulong _seed;
    private readonly Dictionary<(int Domain, long Pass), int[]> _orders = [];
    private double[] _weights;
    private readonly long[] _used;

    /// <param name="domainOfExample">Domain id (0..K−1) of each training example.</param>
    /// <param name="weights">Initial mixture over the K domains (non-negative, normalised here).</param>
    public DomainMixtureSampler(IReadOnlyList<int> domainOfExample, IReadOnlyList<double> weights, int stepBatchSize, ulong seed)
    {
        if (domainOfExample.Count == 0) throw new ArgumentException("The training set is empty.");
        if (stepBatchSize <= 0 || stepBatchSize > MaxStepBatch) throw new ArgumentException($"step batch size must be in 1..{MaxStepBatch}, got {stepBatchSize}.");
        int k = weights.Count;
        if (k == 0 || k > MaxDomains) throw new ArgumentException($"Give 1..{MaxDomains} domain weights, got {k}.");
        var lists = Enumerable.Range(0, k).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < domainOfExample.Count; i++)
        {
            int d = domainOfExample[i];
            if ((uint)d >= (uint)k) throw new ArgumentException($"Example {i} has domain {d}; there are {k} domain weights.");
            lists[d].Add(i);
        }
        _members = lists.Select(l => l.ToArray()).ToArray();
        _stepBatch = stepBatchSize; _seed = seed;
        _stepsPerEpoch = (domainOfExample.Count + stepBatchSize - 1) / stepBatchSize;
        _used = new long[k];
        _weights = Normalised(weights);
    }

    public string Kind => "domain-mixture";
    /// <summary>A nominal epoch: as many steps as a pass over the data at this batch size would take.</summary>
    public int StepsPerEpoch => _stepsPerEpoch;
    public int Domains => _members.Length;
    public IReadOnlyList<double> Weights => _weights;
    /// <summary>Examples taken from each domain so far.</summary>
    public IReadOnlyList<long> Used => _used;

    /// <summary>Replace the mixture from the next batch on (normalised to sum 1; an empty domain must get weight 0).</summary>
    public void SetWeights(IReadOnlyList<double> weights) => _weights = Normalised(weights);

    private double[] Normalised(IReadOnlyList<double> w)
    {
        if (w.Count != _members.Length) throw new ArgumentException($"{w.Count} weights for {_members.Length} domains.");
        double sum = 0;
        for (int d = 0; d < w.Count; d++)
        {
            if (!(w[d] >= 0) || double.IsInfinity(w[d])) throw new ArgumentException($"Domain weight {d} is {w[d]}; weights must be finite and ≥ 0.");
            if (w[d] > 0 && _members[d].Length == 0) throw new ArgumentException($"Domain {d} has no examples but weight {w[d]}.");
            sum += w[d];
        }
        if (!(sum > 0)) throw new ArgumentException("The domain weights sum to 0.");
        return w.Select(x => x / sum).ToArray();
    }

    public int[] NextBatch(long step)
    {
        if (step < 0 || step >= 1L << 46) throw new ArgumentOutOfRangeException(nameof(step), $"step {step} is out of the sampler's range.");
        var u = new double[_stepBatch];
        // Counter blocks step·2^16 ...: disjoint per step (a batch needs ≤ 2^15 blocks) and below the shuffles' 2^62.
        Philox.FillUniformDouble(_seed, (ulong)step << 16, u);
        var batch = new int[_stepBatch];
        for (int s = 0; s < _stepBatch; s++) batch[s] = Take(Draw(u[s]));
        return batch;
    }

    private int Draw(double u)
    {
        double c = 0; int last = -1;
        for (int d = 0; d < _weights.Length; d++)
        {
            if (_weights[d] <= 0) continue;
            c += _weights[d]; last = d;
            if (u < c) return d;
        }
        return last;   // u within rounding of 1
    }

    private int Take(int d)
    {
        var m = _members[d];
        long n = m.Length, pass = _used[d] / n;
        if (pass >= MaxPasses) throw new InvalidOperationException($"Domain {d} was used up {MaxPasses} times; the sampler's shuffle streams end there.");
        if (!_orders.TryGetValue((d, pass), out var order))
        {
            foreach (var key in _orders.Keys.Where(x => x.Domain == d).ToList()) _orders.Remove(key);
            order = PhiloxShuffle.Permutation(m.Length, _seed, 0x4000_0000UL + ((ulong)d << 20) + (ulong)pass);
            _orders[(d, pass)] = order;
        }
        return m[order[(int)(_used[d]++ % n)]];
    }

    public JsonNode SaveState() => new JsonObject
    {
        ["weights"] = new JsonArray(_weights.Select(w => (JsonNode?)JsonValue.Create(w)).ToArray()),
        ["used"] = new JsonArray(_used.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
    };

    public void LoadState(JsonNode state)
    {
        var w = state["weights"]?.AsArray().Select(x => x!.GetValue<double>()).ToArray() ?? throw new InvalidDataException("Sampler state lacks 'weights'.");
        var used = state["used"]?.AsArray().Select(x => x!.GetValue<long>()).ToArray() ?? throw new InvalidDataException("Sampler state lacks 'used'.");
        if (w.Length != Domains || used.Length != Domains) throw new InvalidDataException($"Sampler state is for {w.Length} domains; this sampler has {Domains}.");
        // Stored already normalised: set as is, so the restored mixture is the saved one bit for bit.
        Normalised(w);
        _weights = w;
        Array.Copy(used, _used, Domains);
    }
}
