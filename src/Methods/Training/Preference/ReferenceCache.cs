using Engine.Models.Checkpoints;
using Engine.Models.Lora;
using Engine.Runtime;

namespace Engine.Methods.Training.Preference;

/// <summary>
/// Reference log-probs computed once before training, k values per example (DPO: chosen, rejected; KTO: matched,
/// mismatched), for the training and held-out sets. Saved in checkpoints: with full fine-tuning the reference is
/// the initial policy, which no longer exists after a resume.
/// </summary>
public sealed class ReferenceCache(int valuesPerExample)
{
    private double[]? _train, _eval;
    public const string FileName = "reference_logps.safetensors";

    public bool IsReady => _train is not null;

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

    public void Save(string dir)
    {
        var t = new List<KeyValuePair<string, Tensor>>();
        if (_train is not null) t.Add(new("train", Tensor.FromArray(_train)));
        if (_eval is not null) t.Add(new("eval", Tensor.FromArray(_eval)));
        SafeTensorsWriter.Write(Path.Combine(dir, FileName), t);
    }

    public bool TryLoad(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) return false;
        var d = SafeTensorsDictionary.ReadAll(path);
        _train = d.TryGetValue("train", out var tr) ? tr.ToArray<double>() : null;
        _eval = d.TryGetValue("eval", out var ev) ? ev.ToArray<double>() : null;
        return _train is not null;
    }
}
