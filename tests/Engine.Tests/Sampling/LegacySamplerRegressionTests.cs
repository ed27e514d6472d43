using Engine.Models.Generation;
using Engine.Runtime;

namespace Engine.Tests.Sampling;

/// <summary>
/// TokenSampler before the SampleTokens op (kept verbatim here): on rows without tied logits the refactored sampler
/// must choose bit-identical tokens. Rows with ties differ by design only in the order of tied tokens, which the old
/// code left to Array.Sort's unstable introsort and the op now fixes as lower id first.
/// </summary>
public class LegacySamplerRegressionTests
{
    internal static int LegacyNext(Span<float> logits, SamplingOptions o, IReadOnlyCollection<int> context, ulong seed, ulong counter)
    {
        if (o.RepetitionPenalty != 1.0)
            foreach (var id in context.Distinct())
            {
                ref var l = ref logits[id];
                l = l > 0 ? (float)(l / o.RepetitionPenalty) : (float)(l * o.RepetitionPenalty);
            }
        if (o.Temperature == 0)
        {
            int best = 0;
            for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
            return best;
        }
        int v = logits.Length;
        var idx = new int[v];
        var p = new double[v];
        for (int i = 0; i < v; i++) { idx[i] = i; p[i] = logits[i] / o.Temperature; }
        Array.Sort(p, idx);
        Array.Reverse(p); Array.Reverse(idx);
        int keep = v;
        if (o.TopK > 0) keep = Math.Min(keep, o.TopK);
        double max = p[0], sum = 0;
        for (int i = 0; i < keep; i++) { p[i] = Math.Exp(p[i] - max); sum += p[i]; }
        for (int i = 0; i < keep; i++) p[i] /= sum;
        if (o.TopP < 1.0)
        {
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

    [Fact]
    public void TieFreeRowsChooseExactlyWhatTheOldSamplerChose()
    {
        SamplingOptions[] modes =
        [
            new() { Temperature = 0 }, new() { Temperature = 0.8 }, new() { Temperature = 1, TopK = 40 }, new() { Temperature = 1, TopP = 0.9 },
            new() { Temperature = 1, MinP = 0.05 }, new() { Temperature = 0.7, TopK = 200, TopP = 0.95, MinP = 0.02 },
            new() { Temperature = 0.9, TopK = 50, TopP = 0.9, RepetitionPenalty = 1.3 },
        ];
        int checkedRows = 0, different = 0;
        foreach (var v in new[] { 7, 37, 4099 })
        {
            var x = Tensor.RandN([20, v], 900 + (ulong)v, std: 3.0).ToArray<float>();
            for (int r = 0; r < 20; r++)
            {
                var row = x.AsSpan(r * v, v);
                if (row.ToArray().Distinct().Count() != v) continue; // a tie: order legitimately differs
                int[] context = [r % v, (3 * r + 1) % v, r % v];
                foreach (var o in modes)
                    for (ulong s = 0; s < 4; s++)
                    {
                        ulong counter = ((ulong)r << 24) | s;
                        int want = LegacyNext(row.ToArray(), o, context, s, counter);
                        int got = TokenSampler.Next(row.ToArray(), o, context, s, counter);
                        checkedRows++;
                        if (want != got) different++;
                    }
            }
        }
        Assert.True(checkedRows > 1000, $"only {checkedRows} tie-free draws checked");
        Assert.Equal(0, different);
    }
}
