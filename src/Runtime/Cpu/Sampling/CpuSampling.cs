namespace Engine.Runtime.Cpu;

/// <summary>
/// The CPU reference of <see cref="IBackend.SampleTokens"/> (and the body of the Models-level TokenSampler):
/// transformers' logits processors, then a seeded inverse-CDF draw. All probability arithmetic is in double, in
/// the candidate order (logit descending, ties by lower id), so the CUDA twin can reproduce each comparison.
/// </summary>
public static class CpuSampling
{
    /// <summary>Repetition penalty in place, once per distinct id: l &gt; 0 → l/penalty, else l·penalty (in double, rounded to f32).</summary>
    public static void ApplyRepetitionPenalty(Span<float> logits, double penalty, IEnumerable<int> ids)
    {
        if (penalty == 1.0) return;
        foreach (var id in ids.Distinct())
        {
            ref var l = ref logits[id];
            l = l > 0 ? (float)(l / penalty) : (float)(l * penalty);
        }
    }

    /// <summary>
    /// A 32-bit key whose unsigned order is the float order of <paramref name="l"/> (−0 counted as +0, so equal
    /// logits tie). The GPU kernel uses the same key for its threshold searches.
    /// </summary>
    public static uint OrderKey(float l)
    {
        uint b = l == 0 ? 0u : BitConverter.SingleToUInt32Bits(l);
        return (b & 0x80000000u) != 0 ? ~b : b | 0x80000000u;
    }

    /// <summary>Token for one row of already-penalised logits; counter selects the Philox word (seed, counter, 0).</summary>
    public static int Pick(ReadOnlySpan<float> logits, SamplingParams o, ulong seed, ulong counter)
    {
        if (o.Temperature == 0) return ArgMax(logits);

        int v = logits.Length;
        // Sort once by (key, ~id) ascending, read backwards: logit descending, ties by lower id first (as greedy
        // does), a total order the GPU can reproduce. Every filter below is a prefix of this order.
        var order = new ulong[v];
        for (int i = 0; i < v; i++) order[i] = ((ulong)OrderKey(logits[i]) << 32) | ~(uint)i;
        Array.Sort(order);
        var idx = new int[v];
        var p = new double[v];
        for (int j = 0; j < v; j++)
        {
            idx[j] = (int)~(uint)order[v - 1 - j];
            p[j] = logits[idx[j]] / o.Temperature;
        }
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

    /// <summary>First index of the largest value.</summary>
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
