using Engine.Methods.Training.Checkpoints;
using Engine.Runtime;

namespace Engine.Methods.Training.Preference;

/// <summary>
/// Reference log-probs computed once before training, k values per example (DPO: chosen, rejected; KTO: matched,
/// mismatched), for the training and held-out sets. Registered as method state: with full fine-tuning the reference
/// is the initial policy, which no longer exists after a resume, so a checkpoint without it cannot be resumed.
/// </summary>
public sealed class ReferenceCache(int valuesPerExample)
{
    private double[]? _train, _eval;
    /// <summary>The method-state name in checkpoints (<c>method_state/reference_logps.*</c>).</summary>
    public const string StateName = "reference_logps";

    public bool IsReady => _train is not null;

    /// <param name="computeRows">Values of a batch of examples, example-major: value j of the i-th is at i·k + j.</param>
    public void Fill(bool evalSet, int count, int batchSize, Func<int[], double[]> computeRows)
    {
        var values = new double[count * valuesPerExample];
        for (int at = 0; at < count; at += batchSize)
        {
            var idx = Enumerable.Range(at, Math.Min(batchSize, count - at)).ToArray();
            var v = computeRows(idx);
            if (v.Length != idx.Length * valuesPerExample) throw new InvalidOperationException("Reference batch returned the wrong number of values.");
            Array.Copy(v, 0, values, at * valuesPerExample, v.Length);
        }
        if (evalSet) _eval = values; else _train = values;
    }

    /// <summary>Value <paramref name="which"/> of example <paramref name="index"/>.</summary>
    public double Get(bool evalSet, int index, int which)
    {
        var a = (evalSet ? _eval : _train) ?? throw new InvalidOperationException("Reference log-probs were not computed.");
        return a[index * valuesPerExample + which];
    }

    public MethodState Save()
    {
        var t = new Dictionary<string, Tensor>();
        if (_train is not null) t["train"] = Tensor.FromArray(_train);
        if (_eval is not null) t["eval"] = Tensor.FromArray(_eval);
        return new MethodState(Tensors: t);
    }

    public void Restore(MethodState state)
    {
        var t = state.Tensors ?? new Dictionary<string, Tensor>();
        _train = t.TryGetValue("train", out var tr) ? tr.ToArray<double>() : null;
        _eval = t.TryGetValue("eval", out var ev) ? ev.ToArray<double>() : null;
    }
}
