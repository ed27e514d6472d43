namespace Engine.Runtime.Cuda;

/// <summary>Elementwise ops, reductions over dims, broadcasts, casts and the strided copy on CUDA (kernels/elementwise.cu), twins of CpuElementwise; f32 unless noted.</summary>
public sealed unsafe partial class CudaBackend
{
    public Tensor Binary(BinaryOp op, Tensor a, Tensor b)
    {
        RequireF32(op.ToString(), a, b);
        if (a.Shape.SequenceEqual(b.Shape))
        {
            var y = Like(a);
            ElementwiseKernels.BinaryF32(S, Grid.Elements(a.NumElements), (int)op, P(a), P(b), P(y), a.NumElements);
            return y;
        }
        if (b.Rank == 1 && a.Rank >= 1 && b.Size(0) == a.Size(-1))
        {
            var y = Like(a);
            long rows = a.NumElements / Math.Max(1, b.Size(0));
            ElementwiseKernels.BinaryRowbcastF32(S, Grid.Elements(a.NumElements), (int)op, P(a), P(b), P(y), rows, b.Size(0));
            return y;
        }
        throw Missing(op.ToString(), $"broadcast {a.ShapeString} ∘ {b.ShapeString}; same shape or a trailing vector are supported");
    }

    public Tensor Affine(Tensor x, double alpha, double beta)
    {
        RequireF32("Affine", x);
        var y = Like(x);
        ElementwiseKernels.AffineF32(S, Grid.Elements(x.NumElements), P(x), P(y), (float)alpha, (float)beta, x.NumElements);
        return y;
    }

    public Tensor Unary(UnaryOp op, Tensor x)
    {
        RequireF32(op.ToString(), x);
        var y = Like(x);
        ElementwiseKernels.UnaryF32(S, Grid.Elements(x.NumElements), (int)op, P(x), P(y), x.NumElements);
        return y;
    }

    public Tensor UnaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gy)
    {
        RequireF32(op + "Backward", x, y, gy);
        var gx = Like(x);
        ElementwiseKernels.UnaryBwdF32(S, Grid.Elements(x.NumElements), (int)op, P(x), P(y), P(gy), P(gx), x.NumElements);
        return gx;
    }

    private static long[] Pad4(ReadOnlySpan<int> shape)
    {
        var n = new long[] { 1, 1, 1, 1 };
        for (int i = 0; i < shape.Length; i++) n[4 - shape.Length + i] = shape[i];
        return n;
    }

    public Tensor Sum(Tensor x, int[] dims, bool keepDim)
    {
        RequireF32("Sum", x);
        if (x.Rank > 4) throw Missing("Sum", $"rank {x.Rank} > 4");
        var n = Pad4(x.Shape);
        var r = new int[4];
        foreach (var d in dims) r[4 - x.Rank + d] = 1;
        var kept = x.ShapeArray();
        foreach (var d in dims) kept[d] = 1;
        var y = New(kept, DType.F32);
        ElementwiseKernels.SumDimsF32(S, Grid.Elements(Math.Max(1, y.NumElements)), P(x), P(y), n[0], n[1], n[2], n[3], r[0], r[1], r[2], r[3]);
        return keepDim ? y : y.Reshape(x.ShapeArray().Where((_, i) => !dims.Contains(i)).ToArray());
    }

    public Tensor BroadcastTo(Tensor x, int[] shape)
    {
        RequireF32("BroadcastTo", x);
        if (shape.Length > 4 || x.Rank != shape.Length) throw Missing("BroadcastTo", $"{x.ShapeString} → [{string.Join(", ", shape)}]");
        var n = Pad4(shape); var k = Pad4(x.Shape);
        var y = New(shape, DType.F32);
        ElementwiseKernels.BroadcastF32(S, Grid.Elements(y.NumElements), P(x), P(y), n[0], n[1], n[2], n[3], k[0], k[1], k[2], k[3]);
        return y;
    }

    public Tensor Cast(Tensor x, DType dtype)
    {
        if (dtype == x.DType) return x;
        var y = Like(x, dtype);
        var g = Grid.Elements(x.NumElements);
        switch (x.DType, dtype)
        {
            case (DType.F32, DType.BF16): ElementwiseKernels.CastF32Bf16(S, g, P(x), P(y), x.NumElements); break;
            case (DType.BF16, DType.F32): ElementwiseKernels.CastBf16F32(S, g, P(x), P(y), x.NumElements); break;
            case (DType.F32, DType.F16): ElementwiseKernels.CastF32F16(S, g, P(x), P(y), x.NumElements); break;
            case (DType.F16, DType.F32): ElementwiseKernels.CastF16F32(S, g, P(x), P(y), x.NumElements); break;
            case (DType.I32, DType.I64): ElementwiseKernels.CastI32I64(S, g, P(x), P(y), x.NumElements); break;
            default: throw Missing("Cast", $"{x.DType} → {dtype}");
        }
        return y;
    }

    /// <summary>Device-to-device copy between views of the same shape (rank ≤ 4, 4-byte elements).</summary>
    private void StridedCopy(Tensor src, Tensor dst)
    {
        if (src.Rank > 4 || src.DType.SizeOf() != 4) throw Missing("strided copy", $"rank {src.Rank} {src.DType}; rank ≤ 4 with 4-byte elements is supported");
        long[] n = [1, 1, 1, 1], ss = [0, 0, 0, 0], ds = [0, 0, 0, 0];
        int off = 4 - src.Rank;
        for (int i = 0; i < src.Rank; i++) { n[off + i] = src.Size(i); ss[off + i] = src.Strides[i]; ds[off + i] = dst.Strides[i]; }
        ElementwiseKernels.StridedCopyU32(S, Grid.Elements(src.NumElements), P(src), P(dst), n[0], n[1], n[2], n[3], ss[0], ss[1], ss[2], ss[3], ds[0], ds[1], ds[2], ds[3]);
    }
}
