namespace Engine.Runtime.Cuda;

/// <summary>
/// Conv1d on CUDA (kernels/conv.cu), twin of CpuConv1d: unfold into col [B, Lout, Cin·K], one cuBLAS GEMM against the
/// weight as [Cout, Cin·K], a transpose to [B, Cout, Lout] that adds the bias. f32.
/// </summary>
public sealed unsafe partial class CudaBackend
{
    public Tensor Conv1d(Tensor x, Tensor weight, Tensor? bias, Conv1dGeometry g)
    {
        RequireF32("Conv1d", x, weight, bias);
        var col = Unfold(x, g);
        var yt = MatMul(col, weight.Reshape(g.OutChannels, g.Taps), false, true); // [B, Lout, Cout]
        var y = New([g.Batch, g.OutChannels, g.OutLength], DType.F32);
        ConvKernels.Conv1dTransposeF32(S, Grid.Elements(y.NumElements), P(yt), bias is null ? new CudaPointer(0) : P(bias), P(y),
            g.Batch, g.OutLength, g.OutChannels, bias is null ? 0 : 1);
        return y;
    }

    public Tensor Conv1dBackwardInput(Tensor gy, Tensor weight, Conv1dGeometry g)
    {
        RequireF32("Conv1dBackwardInput", gy, weight);
        var dcol = MatMul(TransposeRows(gy, g), weight.Reshape(g.OutChannels, g.Taps), false, false); // [B, Lout, Cin·K]
        var gx = New([g.Batch, g.InChannels, g.Length], DType.F32);
        ConvKernels.Conv1dFoldF32(S, Grid.Elements(gx.NumElements), P(dcol), P(gx), g.Batch, g.InChannels, g.Length, g.KernelSize, g.OutLength, g.Stride, g.Padding, g.Dilation);
        return gx;
    }

    public Tensor Conv1dBackwardWeight(Tensor x, Tensor gy, Conv1dGeometry g)
    {
        RequireF32("Conv1dBackwardWeight", x, gy);
        int rows = g.Batch * g.OutLength;
        var col = Unfold(x, g).Reshape(rows, g.Taps);
        var gyt = TransposeRows(gy, g).Reshape(rows, g.OutChannels);
        return MatMul(gyt, col, true, false).Reshape(g.OutChannels, g.InChannels, g.KernelSize); // Σ over batch and positions
    }

    public Tensor Conv1dBackwardBias(Tensor gy, Conv1dGeometry g)
    {
        RequireF32("Conv1dBackwardBias", gy);
        var gb = New([g.OutChannels], DType.F32);
        ConvKernels.Conv1dBiasGradF32(S, Grid.Blocks(g.OutChannels), P(gy), P(gb), g.Batch, g.OutChannels, g.OutLength);
        return gb;
    }

    private Tensor Unfold(Tensor x, Conv1dGeometry g)
    {
        var col = New([g.Batch, g.OutLength, g.Taps], DType.F32);
        ConvKernels.Conv1dUnfoldF32(S, Grid.Elements(col.NumElements), P(x), P(col), g.Batch, g.InChannels, g.Length, g.KernelSize, g.OutLength, g.Stride, g.Padding, g.Dilation);
        return col;
    }

    /// <summary>dy [B, Cout, Lout] → [B, Lout, Cout], the GEMMs' row layout.</summary>
    private Tensor TransposeRows(Tensor gy, Conv1dGeometry g)
    {
        var t = New([g.Batch, g.OutLength, g.OutChannels], DType.F32);
        ConvKernels.Conv1dTransposeF32(S, Grid.Elements(t.NumElements), P(gy), new CudaPointer(0), P(t), g.Batch, g.OutChannels, g.OutLength, 0);
        return t;
    }
}
