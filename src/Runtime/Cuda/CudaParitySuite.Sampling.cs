namespace Engine.Runtime.Cuda;

/// <summary>
/// SampleTokens through CudaBackend against the CPU backend: the same seed must give the same ids (exact) in every
/// mode, on logits with plain f32 values, bf16-rounded values (ties as a bf16 model makes them) and coarse values
/// (large tie groups that top-k, top-p and the draw cut through). Log-probs within 1e-9 relative.
/// </summary>
public static partial class CudaParitySuite
{
    internal static readonly (string Mode, SamplingParams P)[] SamplingModes =
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

    /// <summary>Row r: r % 3 = 0 plain f32 N(0, 3²), 1 the same rounded to bf16, 2 multiples of 0.5 (heavy ties).</summary>
    internal static Tensor SamplingLogits(int b, int v, ulong seed)
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
    internal static Tensor SamplingHistory(int b, int v, ulong seed)
    {
        const int l = 24;
        var w = new uint[b * l];
        Philox.Fill(seed, 0, w);
        var ids = new long[b * l];
        for (int i = 0; i < ids.Length; i++) ids[i] = i % l >= l - 3 ? -1 : i % 5 == 4 ? ids[i - 1] : w[i] % (uint)v;
        return Tensor.FromArray(ids, b, l);
    }

    /// <summary>Only the sampling rows (vocabularies up to <paramref name="maxVocab"/>), e.g. under the CPU emulator.</summary>
    public static IReadOnlyList<Row> RunSampling(CudaDevice dev, ulong seed, int maxVocab = int.MaxValue)
    {
        var rows = new List<Row>();
        SamplingRows(seed, rows, dev.Ordinal, maxVocab);
        return rows;
    }

    private static void SamplingRows(ulong seed, List<Row> rows, int ordinal, int maxVocab = int.MaxValue)
    {
        var cpu = Backend.Cpu;
        var gpu = CudaBackend.Get(ordinal);
        var dev = Device.Cuda(ordinal);
        foreach (var v in new[] { 37, 1000, 4099, 151_936 })
        {
            if (v > maxVocab) continue;
            int b = v > 10_000 ? 6 : 12, draws = v > 10_000 ? 3 : 12;
            var logits = SamplingLogits(b, v, seed + 61);
            var prev = SamplingHistory(b, v, seed + 62);
            var gLogits = logits.To(dev);
            var gPrev = prev.To(dev);
            foreach (var (mode, p) in SamplingModes)
            {
                int mismatches = 0;
                double lpErr = 0;
                for (int d = 0; d < draws; d++)
                {
                    ulong offset = (ulong)(d * b) << 24;
                    var want = cpu.SampleTokens(logits, p, seed + (ulong)d, offset, prev);
                    var got = gpu.SampleTokens(gLogits, p, seed + (ulong)d, offset, gPrev);
                    var wi = want.Ids.ToArray<long>(); var gi = got.Ids.To(Device.Cpu).ToArray<long>();
                    var wl = want.LogProbs.ToArray<double>(); var gl = got.LogProbs.To(Device.Cpu).ToArray<double>();
                    for (int r = 0; r < b; r++)
                    {
                        if (wi[r] != gi[r]) { mismatches++; continue; }
                        double e = Math.Abs(wl[r] - gl[r]) / Math.Max(Math.Abs(wl[r]), 1e-3);
                        lpErr = double.IsNaN(gl[r]) ? double.NaN : Math.Max(lpErr, e);
                    }
                }
                string shape = $"[{b}, {v}] × {draws} seeds";
                rows.Add(new Row($"sample.{mode} (mismatch rate)", shape, mismatches / (double)(b * draws), 0));
                rows.Add(new Row($"sample.{mode}.logprob", shape, lpErr, 1e-9));
            }
        }
    }
}
