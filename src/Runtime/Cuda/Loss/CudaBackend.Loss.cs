using Engine.Runtime.Cpu;

namespace Engine.Runtime.Cuda;

/// <summary>
/// Losses over the vocabulary on CUDA (kernels/loss.cu), twins of Cpu/Loss: fused cross-entropy rows (targets I64 or
/// I32, every target checked on the device: an out-of-range one is an error naming its row, as on the CPU), candidate
/// probabilities, and the per-row symmetric KL of CCL. f32.
/// </summary>
public sealed unsafe partial class CudaBackend
{
    public (Tensor nll, Tensor lse) CrossEntropyRows(Tensor logits, Tensor targets, long? ignoreIndex)
    {
        RequireF32("CrossEntropy", logits);
        var (n, v) = LossRows("CrossEntropy", logits);
        var t = Ids64("CrossEntropy", targets, n, "targets");
        var nll = New([n], DType.F32); var lse = New([n], DType.F32);
        if (n == 0) return (nll, lse);
        var bad = BadIdWord();
        LossKernels.CrossEntropyFwdF32(S, Grid.Blocks(n), P(logits), P(t), P(nll), P(lse), v, ignoreIndex ?? 0L, ignoreIndex is null ? 0 : 1, P(bad));
        if (FirstBadRow(bad) is { } row)
            throw IdErrors.Target("CrossEntropy", IdAt(t, row), row, v, ignoreIndex);
        return (nll, lse);
    }

    public Tensor CrossEntropyRowsBackward(Tensor logits, Tensor targets, Tensor lse, Tensor rowGrad, long? ignoreIndex)
    {
        RequireF32("CrossEntropyBackward", logits, lse, rowGrad);
        var (n, v) = LossRows("CrossEntropyBackward", logits);
        var t = Ids64("CrossEntropyBackward", targets, n, "targets");
        var d = Like(logits);
        if (n > 0)
            LossKernels.CrossEntropyBwdF32(S, Grid.Blocks(n), P(logits), P(t), P(lse), P(rowGrad), P(d), v, ignoreIndex ?? 0L, ignoreIndex is null ? 0 : 1);
        return d;
    }

    public Tensor CandidateProbs(Tensor logits, int[] candidateIds)
    {
        RequireF32("CandidateProbs", logits);
        int v = logits.Size(-1);
        long rows = logits.NumElements / v;
        for (int j = 0; j < candidateIds.Length; j++)
            if ((uint)candidateIds[j] >= (uint)v)
                throw new ArgumentOutOfRangeException(nameof(candidateIds), $"CandidateProbs: candidate {j} is id {candidateIds[j]}, outside the vocabulary [0, {v}).");
        var ids = Tensor.FromArray(candidateIds).To(logits.Device);
        var shape = logits.ShapeArray(); shape[^1] = candidateIds.Length;
        var y = New(shape, DType.F32);
        if (rows > 0) LossKernels.CandidateProbsF32(S, Grid.Blocks(rows), P(logits), P(ids), P(y), v, candidateIds.Length);
        return y;
    }

    public (Tensor kl, Tensor rowStats) SymmetricKl(Tensor logitsP, Tensor logitsQ)
    {
        RequireF32("SymmetricKl", logitsP, logitsQ);
        var (rows, v) = KlRows("SymmetricKl", logitsP, logitsQ);
        var p = logitsP.Contiguous(); var q = logitsQ.Contiguous();
        var kl = New([rows], DType.F32);
        var stats = New([rows, CpuSymmetricKl.StatsPerRow], DType.F32);
        if (rows > 0) LossKernels.SymmetricKlFwdF32(S, Grid.Blocks(rows).Threads(KlBlock(v)), P(p), P(q), P(kl), P(stats), v);
        return (kl, stats);
    }

    public (Tensor dP, Tensor dQ) SymmetricKlBackward(Tensor logitsP, Tensor logitsQ, Tensor rowStats, Tensor gy)
    {
        RequireF32("SymmetricKlBackward", logitsP, logitsQ, rowStats, gy);
        var (rows, v) = KlRows("SymmetricKlBackward", logitsP, logitsQ);
        if (rowStats.NumElements != (long)rows * CpuSymmetricKl.StatsPerRow || gy.NumElements != rows)
            throw new ArgumentException($"SymmetricKlBackward: rowStats {rowStats.ShapeString} / gradient {gy.ShapeString} do not match {rows} rows.");
        var p = logitsP.Contiguous(); var q = logitsQ.Contiguous();
        var dP = Like(p); var dQ = Like(q);
        if (rows > 0)
            LossKernels.SymmetricKlBwdF32(S, Grid.Blocks(rows).Threads(KlBlock(v)), P(p), P(q), P(rowStats.Contiguous()), P(gy.Contiguous()), P(dP), P(dQ), v);
        return (dP, dQ);
    }

    /// <summary>Logits [..., V] as (rows, V), as the CPU reads them.</summary>
    private static (int rows, int v) LossRows(string op, Tensor logits)
    {
        if (logits.Rank < 1 || logits.Size(-1) < 1) throw new ArgumentException($"{op}: logits must be [..., V] with V ≥ 1, got {logits.ShapeString}.");
        int v = logits.Size(-1);
        return (checked((int)(logits.NumElements / v)), v);
    }

    // One block per row: wide blocks for vocabulary-sized rows, where there are few rows and much work in each.
    private static uint KlBlock(int v) => v >= 8192 ? 1024u : 256u;

    private static (int rows, int v) KlRows(string op, Tensor p, Tensor q)
    {
        if (!p.Shape.SequenceEqual(q.Shape)) throw new ArgumentException($"{op}: logitsP {p.ShapeString} and logitsQ {q.ShapeString} must have the same shape.");
        if (p.Rank < 1 || p.Size(-1) < 1) throw new ArgumentException($"{op}: logits must be [..., V] with V ≥ 1, got {p.ShapeString}.");
        int v = p.Size(-1);
        return (checked((int)(p.NumElements / v)), v);
    }
}
