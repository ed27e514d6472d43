using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Runtime;

namespace Engine.Methods.Curriculum.CCL;

/// <summary>
/// The per-example terms of CCL's loss from the logits of two views of the same examples, both differentiable:
/// the consistency L_CL = mean over response tokens of KL(p_A‖p_B) + KL(p_B‖p_A) (<see cref="Ops.SymmetricKl"/>, summed
/// over the vocabulary, no ½), and the token-mean NLL of each view. The views are aligned by response-token index, not by
/// position, so a paraphrased prompt of another length lines up with the original; when truncation kept fewer response
/// tokens in one view, the first tokens both kept are compared.
/// </summary>
public static class CclConsistency
{
    /// <summary>Flat positions (row·T + t) of each row's counted targets, in order: the positions whose logits predict the response.</summary>
    public static int[][] ResponsePositions(TokenBatch batch)
    {
        var targets = (batch.Targets.Device.IsCpu ? batch.Targets : batch.Targets.To(Device.Cpu)).ToArray<long>();
        int t = batch.Time;
        var rows = new int[batch.Rows][];
        for (int b = 0; b < batch.Rows; b++)
        {
            var list = new List<int>(batch.CountedTokens[b]);
            for (int j = 0; j < t; j++) if (targets[b * t + j] != LabelMask.Ignore) list.Add(b * t + j);
            rows[b] = [.. list];
        }
        return rows;
    }

    /// <summary>
    /// L_CL per example [B]: symmetric KL between the two views' next-token distributions, averaged over the response
    /// tokens both views kept (0 for a row with none). <paramref name="a"/> and <paramref name="b"/> may be the same batch
    /// (the dropout view).
    /// </summary>
    public static Tensor PerExample(Tensor logitsA, TokenBatch a, Tensor logitsB, TokenBatch b)
    {
        if (a.Rows != b.Rows) throw new ArgumentException($"CCL views have {a.Rows} and {b.Rows} rows.");
        var pa = ResponsePositions(a);
        var pb = ReferenceEquals(a, b) ? pa : ResponsePositions(b);
        int rows = a.Rows;
        var ia = new List<long>(); var ib = new List<long>();
        var average = new List<(int Row, double Scale)>();
        for (int r = 0; r < rows; r++)
        {
            int m = Math.Min(pa[r].Length, pb[r].Length);
            for (int k = 0; k < m; k++) { ia.Add(pa[r][k]); ib.Add(pb[r][k]); average.Add((r, 1.0 / m)); }
        }
        if (ia.Count == 0) return Constant(new double[rows], logitsA, rows);
        var ga = Gather(logitsA, ia); var gb = Gather(logitsB, ib);
        var kl = Ops.SymmetricKl(ga, gb);                                   // [R]
        // [B, R] averaging matrix: one matmul reduces the R aligned tokens to their rows' means on any device.
        int n = ia.Count;
        var avg = new double[rows * n];
        for (int k = 0; k < n; k++) avg[average[k].Row * n + k] = average[k].Scale;
        var w = Constant(avg, kl, rows, n);
        using var f32 = Autocast.Disable();
        return Ops.MatMul(w, kl.Reshape(n, 1)).Reshape(rows);
    }

    /// <summary>Token-mean NLL per example [B] from per-position cross-entropy [B, T] (0 off the targets).</summary>
    public static Tensor MeanNll(Tensor perTokenCe, TokenBatch batch)
    {
        int rows = batch.Rows, t = batch.Time;
        var mask = batch.CountedMask(DType.F64).ToDoubleArray();
        var scale = new double[rows * t];
        for (int r = 0; r < rows; r++)
        {
            double inv = 1.0 / Math.Max(1, batch.CountedTokens[r]);
            for (int j = 0; j < t; j++) scale[r * t + j] = mask[r * t + j] * inv;
        }
        return Ops.Sum(Ops.Mul(perTokenCe, Constant(scale, perTokenCe, rows, t)), 1);
    }

    /// <summary>Rows of logits [B, T, V] at flat positions → [R, V], differentiably (an embedding lookup into the logits).</summary>
    private static Tensor Gather(Tensor logits, List<long> positions)
    {
        int v = logits.Size(-1);
        var table = logits.Reshape(checked(logits.Size(0) * logits.Size(1)), v);
        var ids = Tensor.FromArray(positions.ToArray(), positions.Count);
        return Ops.Embedding(table, logits.Device.IsCpu ? ids : ids.To(logits.Device));
    }

    private static Tensor Constant(double[] values, Tensor like, params int[] shape)
    {
        var x = Tensor.FromArray(values, shape).To(like.DType);
        return like.Device.IsCpu ? x : x.To(like.Device);
    }
}
