using Engine.Diagnostics.OpCases;
using Engine.Runtime;
using static Engine.Diagnostics.Cases.CaseKit;

namespace Engine.Diagnostics.Cases.Sampling;

/// <summary>
/// SampleTokens (kernels/sampling.cu): the same seed must give the same ids (exact) in every mode, on logits with plain
/// f32 values, bf16-rounded values (ties as a bf16 model makes them) and coarse values (large tie groups that top-k, top-p
/// and the draw cut through); log-probs within 1e-9 relative.
/// </summary>
public static class SamplingCases
{
    public static readonly (string Mode, SamplingParams P)[] Modes =
    [
        ("greedy", new(0)),
        ("temperature", new(0.8)),
        ("top_k", new(1.0, TopK: 40)),
        ("top_p", new(1.0, TopP: 0.9)),
        ("min_p", new(1.0, MinP: 0.05)),
        ("combined", new(0.7, TopK: 200, TopP: 0.95, MinP: 0.02)),
        ("repetition_penalty", new(0.9, TopK: 50, TopP: 0.9, RepetitionPenalty: 1.3)),
        ("repetition_penalty.greedy", new(0, RepetitionPenalty: 1.3)),
    ];

    /// <summary>Vocabularies of the table; the last is Qwen2's.</summary>
    public static readonly int[] Vocabularies = [37, 1000, 4099, 151_936];

    public static IEnumerable<OpCase> All() => Vocabularies.SelectMany(v => Modes.Select(m => Sample(v, m.Mode, m.P)));

    /// <summary>Row r: r % 3 = 0 plain f32 N(0, 3²), 1 the same rounded to bf16, 2 multiples of 0.5 (heavy ties).</summary>
    public static Tensor Logits(int b, int v, ulong seed)
    {
        var x = Tensor.RandN([b, v], seed, std: 3.0).ToArray<float>();
        for (int r = 0; r < b; r++)
            for (int i = r * v; i < (r + 1) * v; i++)
                x[i] = (r % 3) switch
                {
                    1 => DTypeConvert.Bf16ToFloat(DTypeConvert.FloatToBf16(x[i])),
                    2 => MathF.Round(x[i] * 2) / 2,
                    _ => x[i],
                };
        return Tensor.FromArray(x, b, v);
    }

    /// <summary>Previous tokens [B, L]: repeats and −1 padding included.</summary>
    public static Tensor History(int b, int v, ulong seed)
    {
        const int l = 24;
        var w = new uint[b * l];
        Philox.Fill(seed, 0, w);
        var ids = new long[b * l];
        for (int i = 0; i < ids.Length; i++) ids[i] = i % l >= l - 3 ? -1 : i % 5 == 4 ? ids[i - 1] : w[i] % (uint)v;
        return Tensor.FromArray(ids, b, l);
    }

    private const ulong DrawSeed = 20261125;

    /// <summary>Rows per case and seeds drawn per row (fewer for the vocabulary-sized rows).</summary>
    public static (int Rows, int Draws) Size(int v) => v > 10_000 ? (6, 3) : (12, 12);

    private static OpCase Sample(int v, string mode, SamplingParams p)
    {
        var (b, draws) = Size(v);
        return new OpCase
        {
            Family = "Sampling", Name = $"sample.{mode}", Shape = $"[{b}, {v}] × {draws} seeds", Op = BackendOp.SampleTokens, DType = DType.F32,
            Inputs = s => [Logits(b, v, s), History(b, v, s + 1)],
            Run = t =>
            {
                var be = Be(t);
                var ids = new List<double>(); var logp = new List<double>();
                for (int d = 0; d < draws; d++)
                {
                    var r = be.SampleTokens(t[0], p, DrawSeed + (ulong)d, (ulong)(d * b) << 24, t[1]);
                    ids.AddRange(D(r.Ids)); logp.AddRange(D(r.LogProbs));
                }
                return [new Output($"sample.{mode} (mismatch rate)", Host([.. ids]), Check.MismatchRate), new Output($"sample.{mode}.logprob", Host([.. logp]), Check.LogProb(1e-9))];
            },
            Reference = v > 10_000 ? null : t =>
            {
                var x = t[0].ToArray<float>(); var hist = t[1].ToArray<long>();
                int l = hist.Length / b;
                var ids = new List<double>(); var logp = new List<double>();
                for (int d = 0; d < draws; d++)
                    for (int r = 0; r < b; r++)
                    {
                        var (id, lp) = SamplingReference.Sample(x[(r * v)..((r + 1) * v)], p, hist[(r * l)..((r + 1) * l)], DrawSeed + (ulong)d, ((ulong)(d * b) << 24) + ((ulong)r << 24));
                        ids.Add(id); logp.Add(lp);
                    }
                return [Ref($"sample.{mode} (mismatch rate)", [.. ids], 0), Ref($"sample.{mode}.logprob", [.. logp], 1e-12)];
            },
        };
    }
}
