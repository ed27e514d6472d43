using System.Numerics;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Conv1d on the CPU as unfold + GEMM: the input is unfolded into col [B, Lout, Cin·K] (im2col; zeros where a tap
/// reads the padding), so the convolution is one GEMM per batch item against the weight seen as [Cout, Cin·K].
/// Backward: dcol = dyᵀ·W folded back by a gather (col2im, deterministic), dW = Σ_b dy[b]·col[b], db = Σ dy.
/// kernels/conv.cu does the same steps with cuBLAS for the GEMMs.
/// </summary>
public static unsafe class CpuConv1d
{
    /// <summary>col[b, t, ci·K + k] = x[b, ci, t·s − p + k·d], or 0 in the padding.</summary>
    public static void Unfold<T>(T* x, T* col, Conv1dGeometry g) where T : unmanaged, INumberBase<T>
    {
        int lout = g.OutLength, taps = g.Taps;
        CpuThreads.For(g.Batch * lout, bt =>
        {
            int b = bt / lout, t = bt % lout;
            T* row = col + (long)bt * taps;
            T* xb = x + (long)b * g.InChannels * g.Length;
            for (int ci = 0; ci < g.InChannels; ci++)
                for (int k = 0; k < g.KernelSize; k++)
                {
                    int l = g.InputIndex(t, k);
                    row[ci * g.KernelSize + k] = (uint)l < (uint)g.Length ? xb[(long)ci * g.Length + l] : T.Zero;
                }
        }, minPerThread: 64);
    }

    /// <summary>gx[b, ci, l] = Σ over the (t, k) with t·s − p + k·d = l of dcol[b, t, ci·K + k]: a gather, no write conflicts.</summary>
    public static void Fold<T>(T* dcol, T* gx, Conv1dGeometry g) where T : unmanaged, INumberBase<T>
    {
        int lout = g.OutLength, taps = g.Taps;
        CpuThreads.For(g.Batch * g.InChannels, bc =>
        {
            int b = bc / g.InChannels, ci = bc % g.InChannels;
            T* dst = gx + (long)bc * g.Length;
            T* src = dcol + (long)b * lout * taps;
            for (int l = 0; l < g.Length; l++)
            {
                T acc = T.Zero;
                for (int k = 0; k < g.KernelSize; k++)
                {
                    int num = l + g.Padding - k * g.Dilation;
                    if (num < 0 || num % g.Stride != 0) continue;
                    int t = num / g.Stride;
                    if (t < lout) acc += src[(long)t * taps + ci * g.KernelSize + k];
                }
                dst[l] = acc;
            }
        }, minPerThread: 4);
    }

    public static void Forward<T>(T* x, T* w, T* bias, T* y, Conv1dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lout = g.OutLength, taps = g.Taps;
        var col = Tensor.Empty([g.Batch, lout, taps], Tensor.DTypeOf<T>());
        Unfold(x, col.Ptr<T>(), g);
        // y[b] (Cout × Lout) = W (Cout × Cin·K) · col[b]ᵀ.
        Gemm.GemmStridedBatched(false, true, g.OutChannels, lout, taps, T.One, w, taps, 0, col.Ptr<T>(), taps, (long)lout * taps,
            T.Zero, y, lout, (long)g.OutChannels * lout, g.Batch);
        // col is scratch reached only through a raw pointer: without this its storage may be finalized mid-GEMM.
        GC.KeepAlive(col);
        if (bias is null) return;
        CpuThreads.For(g.Batch * g.OutChannels, bc =>
        {
            T v = bias[bc % g.OutChannels];
            T* row = y + (long)bc * lout;
            for (int t = 0; t < lout; t++) row[t] += v;
        }, minPerThread: 16);
    }

    public static void BackwardInput<T>(T* gy, T* w, T* gx, Conv1dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lout = g.OutLength, taps = g.Taps;
        var dcol = Tensor.Empty([g.Batch, lout, taps], Tensor.DTypeOf<T>());
        // dcol[b] (Lout × Cin·K) = gy[b]ᵀ (gy[b] stored Cout × Lout) · W (Cout × Cin·K).
        Gemm.GemmStridedBatched(true, false, lout, taps, g.OutChannels, T.One, gy, lout, (long)g.OutChannels * lout, w, taps, 0,
            T.Zero, dcol.Ptr<T>(), taps, (long)lout * taps, g.Batch);
        Fold(dcol.Ptr<T>(), gx, g);
        GC.KeepAlive(dcol); // scratch reached only through a raw pointer: keep its storage until the fold is done
    }

    public static void BackwardWeight<T>(T* x, T* gy, T* gw, Conv1dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lout = g.OutLength, taps = g.Taps;
        var col = Tensor.Empty([g.Batch, lout, taps], Tensor.DTypeOf<T>());
        Unfold(x, col.Ptr<T>(), g);
        // dW (Cout × Cin·K) = Σ_b gy[b] (Cout × Lout) · col[b] (Lout × Cin·K), accumulated in place over the batch.
        for (int b = 0; b < g.Batch; b++)
            Gemm.Dispatch(false, false, g.OutChannels, taps, lout, T.One, gy + (long)b * g.OutChannels * lout, lout,
                col.Ptr<T>() + (long)b * lout * taps, taps, b == 0 ? T.Zero : T.One, gw, taps);
        GC.KeepAlive(col);
    }

    public static void BackwardBias<T>(T* gy, T* gb, Conv1dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lout = g.OutLength;
        for (int co = 0; co < g.OutChannels; co++)
        {
            T acc = T.Zero;
            for (int b = 0; b < g.Batch; b++)
            {
                T* row = gy + ((long)b * g.OutChannels + co) * lout;
                for (int t = 0; t < lout; t++) acc += row[t];
            }
            gb[co] = acc;
        }
    }
}
