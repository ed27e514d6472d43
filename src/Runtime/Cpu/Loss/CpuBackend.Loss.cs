using Engine.Runtime.Cpu;

namespace Engine.Runtime;

public sealed unsafe partial class CpuBackend
{
    public (Tensor nll, Tensor lse) CrossEntropyRows(Tensor logits, Tensor targets, long? ignoreIndex)
    {
        using var clock = CpuOpClock.Time("cross-entropy");
        var (rows, vocab) = RowsOf("CrossEntropy", logits);
        CheckRowCount("CrossEntropy", logits, targets, rows);
        CpuCrossEntropy.CheckTargets("CrossEntropy", targets, vocab, ignoreIndex);
        var nll = Tensor.Empty([rows], logits.DType);
        var lse = Tensor.Empty([rows], logits.DType);
        if (logits.DType == DType.F32) CpuCrossEntropy.Forward(logits.Ptr<float>(), targets, nll.Ptr<float>(), lse.Ptr<float>(), rows, vocab, ignoreIndex);
        else CpuCrossEntropy.Forward(logits.Ptr<double>(), targets, nll.Ptr<double>(), lse.Ptr<double>(), rows, vocab, ignoreIndex);
        Alive(logits, targets);
        return (nll, lse);
    }

    public Tensor CrossEntropyRowsBackward(Tensor logits, Tensor targets, Tensor lse, Tensor rowGrad, long? ignoreIndex)
    {
        using var clock = CpuOpClock.Time("cross-entropy backward");
        var (rows, vocab) = RowsOf("CrossEntropyBackward", logits);
        RequireSameDType("CrossEntropyBackward", logits, lse, rowGrad);
        CheckRowCount("CrossEntropyBackward", logits, targets, rows);
        if (lse.NumElements != rows || rowGrad.NumElements != rows)
            throw new ArgumentException($"CrossEntropyBackward: lse {lse.ShapeString} and rowGrad {rowGrad.ShapeString} need {rows} elements.");
        var d = Tensor.Empty(logits.Shape, logits.DType);
        if (logits.DType == DType.F32)
            CpuCrossEntropy.Backward(logits.Ptr<float>(), targets, lse.Ptr<float>(), rowGrad.Ptr<float>(), d.Ptr<float>(), rows, vocab, ignoreIndex);
        else
            CpuCrossEntropy.Backward(logits.Ptr<double>(), targets, lse.Ptr<double>(), rowGrad.Ptr<double>(), d.Ptr<double>(), rows, vocab, ignoreIndex);
        Alive(logits, targets, lse, rowGrad);
        return d;
    }

    public Tensor CandidateProbs(Tensor logits, int[] candidateIds)
    {
        var (rows, vocab) = RowsOf("CandidateProbs", logits);
        for (int j = 0; j < candidateIds.Length; j++)
            if ((uint)candidateIds[j] >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(candidateIds), $"CandidateProbs: candidate {j} is id {candidateIds[j]}, outside the vocabulary [0, {vocab}).");
        var probs = Tensor.Empty([rows, candidateIds.Length], logits.DType);
        if (logits.DType == DType.F32) CpuCrossEntropy.CandidateProbs(logits.Ptr<float>(), candidateIds, probs.Ptr<float>(), rows, vocab);
        else CpuCrossEntropy.CandidateProbs(logits.Ptr<double>(), candidateIds, probs.Ptr<double>(), rows, vocab);
        Alive(logits);
        return probs;
    }

    public (Tensor kl, Tensor rowStats) SymmetricKl(Tensor logitsP, Tensor logitsQ)
    {
        RequireSameDType("SymmetricKl", logitsP, logitsQ);
        RequireSameShape("SymmetricKl", logitsP, logitsQ);
        var (rows, vocab) = RowsOf("SymmetricKl", logitsP);
        var kl = Tensor.Empty([rows], logitsP.DType);
        var stats = Tensor.Empty([rows, CpuSymmetricKl.StatsPerRow], logitsP.DType);
        if (logitsP.DType == DType.F32)
            CpuSymmetricKl.Forward(logitsP.Ptr<float>(), logitsQ.Ptr<float>(), kl.Ptr<float>(), stats.Ptr<float>(), rows, vocab);
        else
            CpuSymmetricKl.Forward(logitsP.Ptr<double>(), logitsQ.Ptr<double>(), kl.Ptr<double>(), stats.Ptr<double>(), rows, vocab);
        Alive(logitsP, logitsQ);
        return (kl, stats);
    }

    public (Tensor dP, Tensor dQ) SymmetricKlBackward(Tensor logitsP, Tensor logitsQ, Tensor rowStats, Tensor gy)
    {
        RequireSameDType("SymmetricKlBackward", logitsP, logitsQ, rowStats, gy);
        RequireSameShape("SymmetricKlBackward", logitsP, logitsQ);
        var (rows, vocab) = RowsOf("SymmetricKlBackward", logitsP);
        if (rowStats.NumElements != (long)rows * CpuSymmetricKl.StatsPerRow || gy.NumElements != rows)
            throw new ArgumentException($"SymmetricKlBackward: rowStats {rowStats.ShapeString} / gradient {gy.ShapeString} do not match {rows} rows.");
        var dP = Tensor.Empty(logitsP.Shape, logitsP.DType);
        var dQ = Tensor.Empty(logitsQ.Shape, logitsQ.DType);
        if (logitsP.DType == DType.F32)
            CpuSymmetricKl.Backward(logitsP.Ptr<float>(), logitsQ.Ptr<float>(), rowStats.Ptr<float>(), gy.Ptr<float>(), dP.Ptr<float>(), dQ.Ptr<float>(), rows, vocab);
        else
            CpuSymmetricKl.Backward(logitsP.Ptr<double>(), logitsQ.Ptr<double>(), rowStats.Ptr<double>(), gy.Ptr<double>(), dP.Ptr<double>(), dQ.Ptr<double>(), rows, vocab);
        Alive(logitsP, logitsQ, rowStats, gy);
        return (dP, dQ);
    }

    /// <summary>Views [..., V] as [rows, V]; V must be at least 1.</summary>
    private static (int rows, int vocab) RowsOf(string op, Tensor logits)
    {
        RequireFloat(logits, op);
        if (logits.Rank < 1 || logits.Size(-1) < 1)
            throw new ArgumentException($"{op}: logits must be [..., V] with V ≥ 1, got {logits.ShapeString}.");
        int vocab = logits.Size(-1);
        return (checked((int)(logits.NumElements / vocab)), vocab);
    }

    private static void CheckRowCount(string op, Tensor logits, Tensor targets, int rows)
    {
        if (targets.NumElements != rows)
            throw new ArgumentException($"{op}: targets {targets.ShapeString} must have one entry per row of logits {logits.ShapeString} ({rows}).");
    }
}
