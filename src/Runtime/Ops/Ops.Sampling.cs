namespace Engine.Runtime;

public static partial class Ops
{
    /// <summary>
    /// Sample one token per row of <paramref name="logits"/> [B, V] on their own device (see
    /// <see cref="IBackend.SampleTokens"/>); only the B ids and log-probs need to come back to the host.
    /// </summary>
    public static SampledTokens SampleTokens(Tensor logits, SamplingParams p, ulong seed, ulong offset, Tensor? previousTokens = null)
    {
        p.Validate();
        if (logits.Rank != 2) throw new ArgumentException($"SampleTokens: logits must be [B, V], got {logits.ShapeString}.");
        if (logits.Size(1) == 0) throw new ArgumentException($"SampleTokens: empty vocabulary in logits {logits.ShapeString}.");
        if (previousTokens is not null && (previousTokens.Rank != 2 || previousTokens.Size(0) != logits.Size(0) || previousTokens.DType != DType.I64))
            throw new ArgumentException($"SampleTokens: previousTokens must be [B={logits.Size(0)}, L] I64, got {previousTokens.ShapeString} {previousTokens.DType}.");
        var be = Backend.Of(logits, previousTokens);
        var x = logits.DType == DType.F32 ? logits.Contiguous() : logits.To(DType.F32).Contiguous();
        return be.SampleTokens(x, p, seed, offset, previousTokens?.Contiguous());
    }
}
