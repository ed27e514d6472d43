using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Models.Generation;

/// <summary>
/// Turns one row of logits into a token: the logits processors of transformers, then a seeded draw.
/// The arithmetic lives in <see cref="CpuSampling"/>, the CPU side of the SampleTokens op, so the CUDA kernel
/// and this host path pick the same token for a seed.
/// </summary>
public static class TokenSampler
{
    /// <summary>Pick the next token. <paramref name="logits"/> is modified in place (repetition penalty). Returns the token id.</summary>
    public static int Next(Span<float> logits, SamplingOptions o, IReadOnlyCollection<int> context, ulong seed, ulong counter)
    {
        CpuSampling.ApplyRepetitionPenalty(logits, o.RepetitionPenalty, context);
        return CpuSampling.Pick(logits, o.ToParams(), seed, counter);
    }

    public static int ArgMax(ReadOnlySpan<float> x) => CpuSampling.ArgMax(x);

    /// <summary>log softmax(x)[id], computed stably in double.</summary>
    public static double LogProb(ReadOnlySpan<float> x, int id) => CpuSampling.LogProb(x, id);
}
