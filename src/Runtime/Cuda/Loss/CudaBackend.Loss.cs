using Engine.Runtime.Cpu;

namespace Engine.Runtime.Cuda;

/// <summary>Fused per-row symmetric KL (CCL) on CUDA (kernels/loss.cu), twin of CpuSymmetricKl; f32, any V.</summary>
public sealed unsafe partial class CudaBackend
{
    public (Tensor kl, Tensor rowStats) SymmetricKl(Tensor logitsP, Tensor logitsQ)
    {
        RequireF32("SymmetricKl", logitsP, logitsQ);
        var (rows, v) = KlRows("SymmetricKl", logitsP, logitsQ);
        var p = logitsP.Contiguous(); var q = logitsQ.Contiguous();
        var kl = New([rows], DType.F32);
        var stats = New([rows, CpuSymmetricKl.StatsPerRow], DType.F32);
        if (rows > 0)
            Device.Launch("loss.cu", "symmetric_kl_fwd_f32", (uint)rows, 1, 1, KlBlock(v), 1, 1, 0, P(p), P(q), P(kl), P(stats), v);
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
            Device.Launch("loss.cu", "symmetric_kl_bwd_f32", (uint)rows, 1, 1, KlBlock(v), 1, 1, 0,
                P(p), P(q), P(rowStats.Contiguous()), P(gy.Contiguous()), P(dP), P(dQ), v);
        return (dP, dQ);
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
