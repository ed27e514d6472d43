using Engine.Runtime;

namespace Engine.Models.Generation;

/// <summary>Turns one row of logits into a token: the logits processors of transformers, then a seeded draw.</summary>
public static class TokenSampler
{
    /// <summary>Pick the next token. <paramref name="logits"/> is modified in place. Returns the token id.</summary>
    public static int Next(Span<float> logits, SamplingOptions o, IReadOnlyCollection<int> context, ulong seed, ulong counter)
    {
        if (o.RepetitionPenalty != 1.0)
            foreach (var id in context.Distinct())
            {
                ref var l = ref logits[id];
                l = l > 0 ? (float)(l / o.RepetitionPenalty) : (float)(l * o.RepetitionPenalty);
            }
        if (o.Temperature == 0) return ArgMax(logits);

        int v = logits.Length;
        var idx = new int[v];
        var p = new double[v];
        for (int i = 0; i < v; i++) { idx[i] = i; p[i] = logits[i] / o.Temperature; }
        // Sort descending once; every filter below is a prefix of this order.
        Array.Sort(p, idx);
        Array.Reverse(p); Array.Reverse(idx);
        int keep = v;
        if (o.TopK > 0) keep = Math.Min(keep, o.TopK);
        double max = p[0], sum = 0;
        for (int i = 0; i < keep; i++) { p[i] = Math.Exp(p[i] - max); sum += p[i]; }
        for (int i = 0; i < keep; i++) p[i] /= sum;
        if (o.TopP < 1.0)
        {
            // Smallest prefix whose mass reaches top_p (always at least one token).
            double c = 0; int k = 0;
            while (k < keep) { c += p[k]; k++; if (c >= o.TopP) break; }
            keep = Math.Max(1, k);
        }
        if (o.MinP > 0)
        {
            double threshold = o.MinP * p[0];
            int k = 1;
            while (k < keep && p[k] >= threshold) k++;
            keep = k;
        }
        double total = 0;
        for (int i = 0; i < keep; i++) total += p[i];
        double u = Philox.ToUniform(Philox.Word(seed, counter, 0)) * total, acc = 0;
        for (int i = 0; i < keep; i++) { acc += p[i]; if (u < acc) return idx[i]; }
        return idx[keep - 1];
    }

    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /// <summary>log softmax(x)[id], computed stably in double.</summary>
    public static double LogProb(ReadOnlySpan<float> x, int id)
    {
        double max = double.NegativeInfinity;
        foreach (var v in x) max = Math.Max(max, v);
        double s = 0;
        foreach (var v in x) s += Math.Exp(v - max);
        return x[id] - max - Math.Log(s);
    }
}
