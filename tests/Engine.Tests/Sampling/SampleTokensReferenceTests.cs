using Engine.Runtime;

namespace Engine.Tests.Sampling;

/// <summary>The CPU SampleTokens op against a plain sort-based reference written here.</summary>
public class SampleTokensReferenceTests
{
    /// <summary>
    /// transformers' processors spelled out with LINQ: penalty once per distinct seen id, a stable sort by logit
    /// descending (ties keep the lower id first), then top-k, top-p, min-p as prefixes and an inverse-CDF draw.
    /// </summary>
    internal static (int Id, double LogProb) Reference(float[] logits, SamplingParams o, long[] history, ulong seed, ulong counter)
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

    /// <summary>Plain f32, bf16-rounded and coarse (multiples of 0.5, many ties) rows.</summary>
    internal static float[] Logits(int b, int v, ulong seed) => Engine.Runtime.Cuda.CudaParitySuite.SamplingLogits(b, v, seed).ToArray<float>();

    public static IEnumerable<object[]> Modes() => Engine.Runtime.Cuda.CudaParitySuite.SamplingModes.Select(m => new object[] { m.Mode });

    [Theory]
    [MemberData(nameof(Modes))]
    public void OpMatchesTheSortBasedReference(string mode)
    {
        var p = Engine.Runtime.Cuda.CudaParitySuite.SamplingModes.Single(m => m.Mode == mode).P;
        foreach (var v in new[] { 5, 37, 1000 })
        {
            const int b = 9;
            var x = Logits(b, v, 100 + (ulong)v);
            var hist = Engine.Runtime.Cuda.CudaParitySuite.SamplingHistory(b, v, 7).ToArray<long>();
            int l = hist.Length / b;
            for (ulong seed = 0; seed < 6; seed++)
            {
                ulong offset = seed * 1000 << 24;
                var got = Backend.Cpu.SampleTokens(Tensor.FromArray(x, b, v), p, seed, offset, Tensor.FromArray(hist, b, l));
                var ids = got.Ids.ToArray<long>();
                var lps = got.LogProbs.ToArray<double>();
                for (int r = 0; r < b; r++)
                {
                    var (id, lp) = Reference(x[(r * v)..((r + 1) * v)], p, hist[(r * l)..((r + 1) * l)], seed, offset + ((ulong)r << 24));
                    Assert.True(id == ids[r], $"{mode} V={v} seed={seed} row={r}: op chose {ids[r]}, reference {id}");
                    Assert.Equal(lp, lps[r], 1e-12);
                }
            }
        }
    }

    [Fact]
    public void OpsSampleTokensValidatesShapesAndIds()
    {
        var x = Tensor.RandN([2, 5], 1);
        Assert.Throws<ArgumentException>(() => Ops.SampleTokens(Tensor.RandN([5], 1), new SamplingParams(1.0), 0, 0));
        Assert.Throws<ArgumentException>(() => Ops.SampleTokens(x, new SamplingParams(1.0, TopP: 0), 0, 0));
        Assert.Throws<ArgumentException>(() => Ops.SampleTokens(x, new SamplingParams(1.0), 0, 0, Tensor.FromArray(new long[] { 1, 2, 3 }, 3, 1)));
        Assert.Throws<ArgumentException>(() => Ops.SampleTokens(x, new SamplingParams(1.0, RepetitionPenalty: 2), 0, 0, Tensor.FromArray(new long[] { 1, 5 }, 2, 1)));
        var ok = Ops.SampleTokens(x, new SamplingParams(1.0), 0, 0);
        Assert.Equal([2], ok.Ids.Shape.ToArray());
        Assert.Equal(DType.I64, ok.Ids.DType);
        Assert.Equal(DType.F64, ok.LogProbs.DType);
    }
}
