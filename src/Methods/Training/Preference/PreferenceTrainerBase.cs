using Engine.Methods.Training.Sampling;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Methods.Training.Preference;

/// <summary>
/// What DPO and KTO share: the reference policy π_ref (<see cref="ReferencePolicy"/>) and the one path to its
/// log-probs, cached before training (and kept in checkpoints) or computed per batch. A subclass says which batches
/// an example's reference values come from (<see cref="ReferenceBatches"/>); value j of example i is row j·B + i of
/// their concatenated rows, so a batch of 2B rows [chosen; rejected] gives (chosen, rejected) per example.
/// </summary>
public abstract class PreferenceTrainerBase<TExample> : TrainerBase<TExample> where TExample : class
{
    private readonly ReferencePolicy _reference;
    private readonly ReferenceCache? _cache;
    private readonly int _valuesPerExample;

    protected PreferenceTrainerBase(TrainableModel model, IReadOnlyList<TExample> train, TrainerOptions options, IBatchSampler? sampler,
        IReadOnlyList<TExample>? eval, TransformerModel? referenceModel, bool precomputeReference, int valuesPerExample)
        : base(model, train, options, sampler, eval)
    {
        _reference = new ReferencePolicy(model, referenceModel);
        _valuesPerExample = valuesPerExample;
        if (!precomputeReference && !_reference.IsStable)
            throw new ArgumentException("Per-batch reference log-probs need LoRA (adapters off = reference) or a separate reference model; otherwise precompute them.");
        if (precomputeReference)
        {
            _cache = new ReferenceCache(valuesPerExample);
            RegisterState(ReferenceCache.StateName, _cache.Save, _cache.Restore);
        }
    }

    public string ReferenceDescription => _reference.Describe;

    /// <summary>The batches whose completion log-prob sums are the reference values of <paramref name="indices"/> of <paramref name="set"/>.</summary>
    protected abstract IReadOnlyList<TokenBatch> ReferenceBatches(IReadOnlyList<TExample> set, int[] indices);

    /// <summary>Fills the reference cache (a subclass that overrides this calls it).</summary>
    protected override void BeforeTraining()
    {
        if (_cache is null || _cache.IsReady) return;
        Model.Training = false;
        try
        {
            _cache.Fill(false, TrainSet.Count, Options.EvalBatchSize, idx => Rows(TrainSet, idx));
            if (EvalSet is { } ev) _cache.Fill(true, ev.Count, Options.EvalBatchSize, idx => Rows(ev, idx));
        }
        finally { Model.Training = true; }
    }

    /// <summary>Reference values of the examples: [which][i], from the cache or computed now (no gradient).</summary>
    protected double[][] ReferenceValues(bool training, int[] indices)
    {
        int b = indices.Length;
        var r = new double[_valuesPerExample][];
        for (int j = 0; j < _valuesPerExample; j++) r[j] = new double[b];
        if (_cache is not null)
        {
            for (int j = 0; j < _valuesPerExample; j++)
                for (int i = 0; i < b; i++) r[j][i] = _cache.Get(!training, indices[i], j);
            return r;
        }
        var rows = Rows(SetOf(training), indices);
        for (int j = 0; j < _valuesPerExample; j++)
            for (int i = 0; i < b; i++) r[j][i] = rows[i * _valuesPerExample + j];
        return r;
    }

    /// <summary>Values example-major (i·k + j), as the cache stores them.</summary>
    private double[] Rows(IReadOnlyList<TExample> set, int[] indices)
    {
        int b = indices.Length;
        var sums = ReferenceBatches(set, indices).SelectMany(batch => _reference.SequenceLogProbs(batch).ToDoubleArray()).ToArray();
        if (sums.Length != b * _valuesPerExample) throw new InvalidOperationException($"Reference batches gave {sums.Length} rows for {b} examples × {_valuesPerExample} values.");
        var r = new double[sums.Length];
        for (int j = 0; j < _valuesPerExample; j++)
            for (int i = 0; i < b; i++) r[i * _valuesPerExample + j] = sums[j * b + i];
        return r;
    }

    /// <summary>Doubles as a constant [B] tensor of <paramref name="like"/>'s dtype and device.</summary>
    protected static Tensor Const(double[] values, Tensor like)
    {
        var t = Tensor.FromArray(values).To(like.DType);
        return like.Device.IsCpu ? t : t.To(like.Device);
    }
}
