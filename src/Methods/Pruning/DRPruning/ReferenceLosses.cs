using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Models;
using Engine.Runtime;

namespace Engine.Methods.Pruning.DRPruning;

/// <summary>
/// Reference losses from models of several sizes (how Sheared-LLaMA set its targets, with DRPruning's fit): each
/// domain's held-out loss is fitted as ℓ(N) = A·N^(−b) + E over the models' non-embedding sizes N with
/// <see cref="ScalingLaw.Fit"/> (grid, Huber, L-BFGS, best-three average), and read off at the target's size.
/// </summary>
public static class ReferenceLosses
{
    /// <summary>
    /// ℓ_k at <paramref name="targetSize"/> for every domain k, from <paramref name="losses"/>[model][domain] of models
    /// of <paramref name="sizes"/> parameters. No clipping: the target is usually smaller than the models measured.
    /// </summary>
    public static double[] Predict(IReadOnlyList<long> sizes, IReadOnlyList<double[]> losses, long targetSize)
    {
        if (sizes.Count != losses.Count) throw new ArgumentException($"{sizes.Count} model sizes for {losses.Count} loss vectors.");
        if (sizes.Distinct().Count() < 3) throw new ArgumentException($"The ℓ(N) fit has three parameters: give models of at least 3 different sizes (got {sizes.Distinct().Count()}).");
        int k = losses[0].Length;
        if (losses.Any(l => l.Length != k)) throw new ArgumentException("Every model needs one loss per domain.");
        var x = sizes.Select(n => new[] { (double)n }).ToList();
        return Enumerable.Range(0, k).Select(d =>
        {
            var fit = ScalingLaw.Fit(x, losses.Select(l => l[d]).ToList(), [targetSize], new ScalingLawFitOptions { ClipToObserved = false })
                ?? throw new InvalidOperationException($"The ℓ(N) fit of domain {d} has no finite solution.");
            return fit.Prediction;
        }).ToArray();
    }

    /// <summary>Token-mean held-out loss of every domain of <paramref name="data"/> under <paramref name="bundle"/>'s model.</summary>
    public static double[] Measure(ModelBundle bundle, DomainExamples data, int batchSize = 16)
    {
        var model = bundle.Model;
        int pad = bundle.Tokenizer.PadTokenId ?? bundle.Tokenizer.EosTokenId ?? 0, k = data.Names.Count;
        var sums = new double[k]; var counts = new double[k];
        using var _ = Autograd.NoGrad();
        for (int start = 0; start < data.Examples.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, data.Examples.Count - start);
            var batch = TokenBatch.FromSft(data.Examples.Skip(start).Take(n).ToArray(), 0, pad).To(model.Device);
            var logits = model.Forward(batch.Ids, batch.KeyMask);
            int b = batch.Rows, t = batch.Time, v = logits.Size(-1);
            var rows = Ops.Sum(Ops.CrossEntropy(logits.Reshape(b * t, v), batch.Targets.Reshape(b * t), LabelMask.Ignore, Reduction.None).Reshape(b, t), 1).ToDoubleArray();
            for (int i = 0; i < n; i++) { sums[data.Domains[start + i]] += rows[i]; counts[data.Domains[start + i]] += batch.CountedTokens[i]; }
        }
        for (int d = 0; d < k; d++)
            if (counts[d] == 0) throw new InvalidDataException($"Domain '{data.Names[d]}' has no scored tokens in the held-out data.");
        return sums.Select((s, d) => s / counts[d]).ToArray();
    }
}
