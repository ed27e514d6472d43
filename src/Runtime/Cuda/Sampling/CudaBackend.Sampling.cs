namespace Engine.Runtime.Cuda;

public sealed unsafe partial class CudaBackend
{
    /// <summary>
    /// Threads per row of sample_tokens_f32 (a power of two in [32, 1024]): 1024 on a GPU (one block is the whole
    /// latency of a decode step's sampling); 128 on the CPU emulator, where every thread is a fiber and only the
    /// count of fibers costs time. Set to override (tests run the kernel at 32, 128 and 1024).
    /// </summary>
    internal static uint? SampleBlockOverride { get; set; }

    internal static uint SampleBlock => SampleBlockOverride ?? (Native.CudaLibraries.EmulatorPath is null ? 1024u : 128u);

    /// <summary>kernels/sampling.cu: one block per row; only ids [B] and log-probs [B] are written.</summary>
    public SampledTokens SampleTokens(Tensor logits, SamplingParams p, ulong seed, ulong offset, Tensor? previousTokens)
    {
        p.Validate();
        if (SampleBlock is < 32 or > 1024 || (SampleBlock & (SampleBlock - 1)) != 0) throw new InvalidOperationException($"SampleTokens: SampleBlock must be a power of two in [32, 1024], got {SampleBlock}.");
        if (logits.Rank != 2) throw new ArgumentException($"SampleTokens: logits must be [B, V], got {logits.ShapeString}.");
        RequireF32("SampleTokens", logits);
        int b = logits.Size(0), v = logits.Size(1);
        if (previousTokens is not null && (previousTokens.Rank != 2 || previousTokens.Size(0) != b || previousTokens.DType != DType.I64))
            throw new ArgumentException($"SampleTokens: previousTokens must be [B={b}, L] I64, got {previousTokens.ShapeString} {previousTokens.DType}.");
        var ids = New([b], DType.I64);
        var logp = New([b], DType.F64);
        if (b == 0) return new SampledTokens(ids, logp);
        var x = logits.Contiguous();
        var prev = previousTokens?.Contiguous();
        // Scratch: order keys (u32) always, probabilities (f64) only when sampling.
        var keys = New([b, v], DType.I32);
        var probs = p.Greedy ? null : New([b, v], DType.F64);
        SamplingKernels.SampleTokensF32(S, Grid.Blocks(b).Threads(SampleBlock),
            P(x), P(keys), POrNull(probs), POrNull(prev), prev?.Size(1) ?? 0, v,
            p.Temperature, p.TopK, p.TopP, p.MinP, p.RepetitionPenalty, seed, offset, P(ids), P(logp));
        return new SampledTokens(ids, logp);
    }
}
