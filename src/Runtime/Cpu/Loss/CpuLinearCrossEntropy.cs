namespace Engine.Runtime.Cpu;

/// <summary>
/// The two host steps of Ops.LinearCrossEntropy that IBackend has no form for: softmax − one-hot written over the
/// chunk's logits in place (no second [chunk, V] block), and dW += dᵀ·h accumulated by the GEMM itself (beta = 1, no
/// [V, H] product per chunk and no separate add pass).
/// </summary>
internal static unsafe class CpuLinearCrossEntropy
{
    /// <summary>logits [rows, V] ← rowGrad[i]·(softmax(logits[i]) − onehot(t_i)), from the saved lse; ignored rows zero.</summary>
    public static void GradientInPlace(Tensor logits, Tensor targets, Tensor lse, Tensor rowGrad, long ignoreIndex)
    {
        using var clock = CpuOpClock.Time("cross-entropy backward");
        int rows = logits.Size(0), vocab = logits.Size(1);
        if (logits.DType == DType.F32)
            CpuCrossEntropy.Backward(logits.Ptr<float>(), targets, lse.Ptr<float>(), rowGrad.Ptr<float>(), logits.Ptr<float>(), rows, vocab, ignoreIndex);
        else
            CpuCrossEntropy.Backward(logits.Ptr<double>(), targets, lse.Ptr<double>(), rowGrad.Ptr<double>(), logits.Ptr<double>(), rows, vocab, ignoreIndex);
        GC.KeepAlive(logits); GC.KeepAlive(targets); GC.KeepAlive(lse); GC.KeepAlive(rowGrad);
    }

    /// <summary>dw [V, H] (+)= dᵀ·h for d [rows, V], h [rows, H]; <paramref name="accumulate"/> false overwrites dw.</summary>
    public static void AccumulateWeightGradient(Tensor d, Tensor h, Tensor dw, bool accumulate)
    {
        using var clock = CpuOpClock.Time("matmul");
        int m = dw.Size(0), n = dw.Size(1), k = d.Size(0);
        if (d.DType == DType.F32)
        {
            CpuGemmLog.Record(new(true, false, m, n, k, 1, false));
            Gemm.Sgemm(true, false, m, n, k, 1f, d.Ptr<float>(), m, h.Ptr<float>(), n, accumulate ? 1f : 0f, dw.Ptr<float>(), n);
        }
        else Gemm.Dgemm(true, false, m, n, k, 1.0, d.Ptr<double>(), m, h.Ptr<double>(), n, accumulate ? 1.0 : 0.0, dw.Ptr<double>(), n);
        GC.KeepAlive(d); GC.KeepAlive(h); GC.KeepAlive(dw);
    }
}
