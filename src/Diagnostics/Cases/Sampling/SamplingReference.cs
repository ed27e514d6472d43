using Engine.Runtime;

namespace Engine.Diagnostics.Cases.Sampling;

/// <summary>The token sampler as a plain sort-based reference.</summary>
public static class SamplingReference
{
    /// <summary>
    /// transformers' processors spelled out with LINQ: penalty once per distinct seen id, a stable sort by logit
    /// descending (ties keep the lower id first), then top-k, top-p, min-p as prefixes and an inverse-CDF draw.
    /// </summary>
    public static (int Id, double LogProb) Sample(float[] logits, SamplingParams o, long[] history, ulong seed, ulong counter)
    {
        var l = (float[])logits.Clone();
        if (o.RepetitionPenalty != 1.0)
            foreach (var h in history.Where(h => h >= 0).Distinct())
                l[h] = l[h] > 0 ? (float)(l[h] / o.RepetitionPenalty) : (float)(l[h] * o.RepetitionPenalty);
        int id;
        if (o.Temperature == 0)
        {
            id = 0;
            for (int i = 1; i < l.Length; i++) if (l[i] > l[id]) id = i;
        }
        else
        {
            var order = Enumerable.Range(0, l.Length).OrderByDescending(i => l[i]).ThenBy(i => i).ToArray();
            var x = order.Select(i => l[i] / o.Temperature).ToArray();
            int keep = o.TopK > 0 ? Math.Min(o.TopK, l.Length) : l.Length;
            var e = x.Take(keep).Select(v => Math.Exp(v - x[0])).ToArray();
            double z = 0;
            foreach (var v in e) z += v;
            var p = e.Select(v => v / z).ToArray();
            if (o.TopP < 1)
            {
                double c = 0; int k = 0;
                while (k < keep) { c += p[k++]; if (c >= o.TopP) break; }
                keep = k;
            }
            if (o.MinP > 0) keep = Math.Max(1, p.Take(keep).Count(v => v >= o.MinP * p[0]));
            double total = 0;
            for (int i = 0; i < keep; i++) total += p[i];
            double u = Philox.ToUniform(Philox.Word(seed, counter, 0)) * total, acc = 0;
            id = order[keep - 1];
            for (int i = 0; i < keep; i++) { acc += p[i]; if (u < acc) { id = order[i]; break; } }
        }
        double m = logits.Max(v => (double)v);
        double s = logits.Sum(v => Math.Exp(v - m));
        return (id, logits[id] - m - Math.Log(s));
    }
}
