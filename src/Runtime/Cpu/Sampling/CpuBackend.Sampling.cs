using Engine.Runtime.Cpu;

namespace Engine.Runtime;

public sealed partial class CpuBackend
{
    public SampledTokens SampleTokens(Tensor logits, SamplingParams p, ulong seed, ulong offset, Tensor? previousTokens)
    {
        p.Validate();
        if (logits.Rank != 2 || logits.DType != DType.F32) throw new ArgumentException($"SampleTokens: logits must be [B, V] F32, got {logits.ShapeString} {logits.DType}.");
        int b = logits.Size(0), v = logits.Size(1);
        int l = previousTokens?.Size(1) ?? 0;
        if (previousTokens is not null && (previousTokens.Rank != 2 || previousTokens.Size(0) != b || previousTokens.DType != DType.I64))
            throw new ArgumentException($"SampleTokens: previousTokens must be [B={b}, L] I64, got {previousTokens.ShapeString} {previousTokens.DType}.");
        var src = logits.Contiguous().AsSpan<float>();
        var prev = previousTokens is null ? default : previousTokens.Contiguous().AsSpan<long>();
        var ids = new long[b];
        var lps = new double[b];
        var row = new float[v];
        var seen = new List<int>();
        for (int r = 0; r < b; r++)
        {
            var orig = src.Slice(r * v, v);
            orig.CopyTo(row);
            if (p.RepetitionPenalty != 1.0 && l > 0)
            {
                seen.Clear();
                foreach (var t in prev.Slice(r * l, l))
                {
                    if (t < 0) continue;
                    if (t >= v) throw new ArgumentException($"SampleTokens: previous token {t} in row {r} is outside the vocabulary of {v}.");
                    seen.Add((int)t);
                }
                CpuSampling.ApplyRepetitionPenalty(row, p.RepetitionPenalty, seen);
            }
            int tok = CpuSampling.Pick(row, p, seed, offset + ((ulong)r << 24));
            ids[r] = tok;
            lps[r] = CpuSampling.LogProb(orig, tok);
        }
        Alive(logits, previousTokens);
        return new SampledTokens(Tensor.FromArray(ids, b), Tensor.FromArray(lps, b));
    }
}
