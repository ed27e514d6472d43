namespace Engine.Runtime.Cuda;

/// <summary>Rotary position embedding on CUDA (kernels/rope.cu), twin of CpuRope; f32, strided x with unit stride in the head dim.</summary>
public sealed unsafe partial class CudaBackend
{
    public Tensor Rope(Tensor x, Tensor cos, Tensor sin, bool transpose)
    {
        RequireF32("Rope", x, cos, sin);
        if (x.Rank != 4) throw new ArgumentException($"Rope: x must be [B, H, T, D], got {x.ShapeString}.");
        if (x.Strides[3] != 1) throw Missing("Rope", "x needs unit stride in the last dim");
        var y = New(x.ShapeArray(), DType.F32);
        if (y.NumElements == 0) return y;
        int r = cos.Size(-1);
        RopeKernels.RopeF32(S, Grid.Elements(x.NumElements), P(x), P(cos.Contiguous()), P(sin.Contiguous()), P(y), x.Size(0), x.Size(1), x.Size(2), x.Size(3), r,
            x.Strides[0], x.Strides[1], x.Strides[2], cos.Rank == 3 ? 1 : 0, transpose ? 1 : 0);
        return y;
    }
}
