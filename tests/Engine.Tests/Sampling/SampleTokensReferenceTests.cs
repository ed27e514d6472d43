using Engine.Diagnostics.Cases.Sampling;
using Engine.Runtime;

namespace Engine.Tests.Sampling;

/// <summary>The CPU SampleTokens op against the plain sort-based reference, on more seeds and vocabularies than the op table.</summary>
public class SampleTokensReferenceTests
{
    /// <summary>The plain sort-based sampler of the op table (src/Diagnostics/Cases/Sampling).</summary>
    internal static (int Id, double LogProb) Reference(float[] logits, SamplingParams o, long[] history, ulong seed, ulong counter) =>
        SamplingReference.Sample(logits, o, history, seed, counter);

    /// <summary>Plain f32, bf16-rounded and coarse (multiples of 0.5, many ties) rows.</summary>
    internal static float[] Logits(int b, int v, ulong seed) => SamplingCases.Logits(b, v, seed).ToArray<float>();

    public static IEnumerable<object[]> Modes() => SamplingCases.Modes.Select(m => new object[] { m.Mode });

    [Theory]
    [MemberData(nameof(Modes))]
    public void OpMatchesTheSortBasedReference(string mode)
    {
        var p = SamplingCases.Modes.Single(m => m.Mode == mode).P;
        foreach (var v in new[] { 5, 37, 1000 })
        {
            const int b = 9;
            var x = Logits(b, v, 100 + (ulong)v);
            var hist = SamplingCases.History(b, v, 7).ToArray<long>();
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
