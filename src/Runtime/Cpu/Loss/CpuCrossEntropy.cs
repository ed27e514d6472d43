using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Fused cross-entropy over the vocabulary, row by row: the forward pass keeps only lse per row, the
/// backward pass writes softmax − onehot straight into dLogits. Also serves log p(token) (the negated NLL).
/// </summary>
internal static unsafe class CpuCrossEntropy
{
    public static bool IsIgnored(long target, long? ignoreIndex) => ignoreIndex is { } ig && target == ig;

    /// <summary>Throws naming the first row whose target is neither ignored nor inside [0, vocab).</summary>
    public static void CheckTargets(string op, Tensor targets, int vocab, long? ignoreIndex)
    {
        if (targets.DType is not (DType.I64 or DType.I32))
            throw new ArgumentException($"{op}: targets must be I64 or I32, got {targets.DType}.");
        for (long i = 0; i < targets.NumElements; i++)
        {
            long t = CpuEmbedding.IdAt(targets, i);
            if (!IsIgnored(t, ignoreIndex) && (ulong)t >= (ulong)vocab) throw IdErrors.Target(op, t, i, vocab, ignoreIndex);
        }
    }

    public static void Forward<T>(T* logits, Tensor targets, T* nll, T* lse, int rows, int vocab, long? ignoreIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CpuThreads.For(rows, i =>
        {
            long t = CpuEmbedding.IdAt(targets, i);
            if (IsIgnored(t, ignoreIndex)) { nll[i] = T.Zero; lse[i] = T.Zero; return; }
            var row = new ReadOnlySpan<T>(logits + (long)i * vocab, vocab);
            T l = SoftmaxRow.LogSumExp(row);
            lse[i] = l;
            nll[i] = l - row[(int)t];
        }, SoftmaxRow.MinRowsPerThread(vocab));
    }

    public static void Backward<T>(T* logits, Tensor targets, T* lse, T* rowGrad, T* dLogits, int rows, int vocab, long? ignoreIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CpuThreads.For(rows, i =>
        {
            var d = new Span<T>(dLogits + (long)i * vocab, vocab);
            long t = CpuEmbedding.IdAt(targets, i);
            if (IsIgnored(t, ignoreIndex)) { d.Clear(); return; }
            T scale = rowGrad[i], l = lse[i];
            var x = new ReadOnlySpan<T>(logits + (long)i * vocab, vocab);
            // d = scale·(exp(x − lse) − onehot(t)), a cache-sized block at a time: one pass over the row in memory
            // instead of three (each step is elementwise, so the bits are those of three whole-row passes).
            for (int b = 0; b < vocab; b += SoftmaxRow.Block)
            {
                int m = Math.Min(SoftmaxRow.Block, vocab - b);
                var db = d.Slice(b, m);
                TensorPrimitives.Subtract(x.Slice(b, m), l, db);
                TensorPrimitives.Exp(db, db);
                TensorPrimitives.Multiply(db, scale, db);
            }
            d[(int)t] -= scale;
        }, SoftmaxRow.MinRowsPerThread(vocab));
    }

    public static void CandidateProbs<T>(T* logits, int[] candidates, T* probs, int rows, int vocab) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = candidates.Length;
        CpuThreads.For(rows, i =>
        {
            var row = new ReadOnlySpan<T>(logits + (long)i * vocab, vocab);
            T l = SoftmaxRow.LogSumExp(row);
            for (int j = 0; j < k; j++) probs[(long)i * k + j] = T.Exp(row[candidates[j]] - l);
        }, SoftmaxRow.MinRowsPerThread(vocab));
    }
}
