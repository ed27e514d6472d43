using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Runtime.Cpu;

/// <summary>Elementwise and reduction kernels, generic over F32/F64, vectorised with TensorPrimitives.</summary>
internal static unsafe class CpuElementwise
{
    public static int[] BroadcastShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int r = Math.Max(a.Length, b.Length);
        var s = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i - (r - a.Length) >= 0 ? a[i - (r - a.Length)] : 1;
            int db = i - (r - b.Length) >= 0 ? b[i - (r - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"Shapes [{string.Join(", ", a.ToArray())}] and [{string.Join(", ", b.ToArray())}] do not broadcast.");
            s[i] = da == 1 ? db : da;
        }
        return s;
    }

    /// <summary>Strides of contiguous x viewed at the (right-aligned) broadcast shape; 0 on broadcast dims.</summary>
    public static long[] BroadcastStrides(ReadOnlySpan<int> xShape, int[] outShape)
    {
        var cs = Tensor.ContiguousStrides(xShape);
        var s = new long[outShape.Length];
        int off = outShape.Length - xShape.Length;
        for (int i = 0; i < xShape.Length; i++) s[i + off] = xShape[i] == 1 ? 0 : cs[i];
        return s;
    }

    public static void Binary<T>(BinaryOp op, Tensor a, Tensor b, Tensor y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shape = y.ShapeArray();
        T* pa = a.Ptr<T>(), pb = b.Ptr<T>(), py = y.Ptr<T>();
        if (a.Shape.SequenceEqual(b.Shape))
        {
            int n = checked((int)y.NumElements);
            Apply(op, new ReadOnlySpan<T>(pa, n), new ReadOnlySpan<T>(pb, n), new Span<T>(py, n));
            return;
        }
        var sa = BroadcastStrides(a.Shape, shape);
        var sb = BroadcastStrides(b.Shape, shape);
        int rank = shape.Length;
        int inner = rank == 0 ? 1 : shape[rank - 1];
        long isa = rank == 0 ? 0 : sa[rank - 1], isb = rank == 0 ? 0 : sb[rank - 1];
        long outer = inner == 0 ? 0 : y.NumElements / inner;
        var idx = new int[Math.Max(rank - 1, 0)];
        for (long o = 0; o < outer; o++)
        {
            long oa = 0, ob = 0;
            for (int d = 0; d < rank - 1; d++) { oa += idx[d] * sa[d]; ob += idx[d] * sb[d]; }
            var dst = new Span<T>(py + o * inner, inner);
            if (isa != 0 && isb != 0) Apply(op, new ReadOnlySpan<T>(pa + oa, inner), new ReadOnlySpan<T>(pb + ob, inner), dst);
            else if (isa != 0) ApplyScalarRight(op, new ReadOnlySpan<T>(pa + oa, inner), pb[ob], dst);
            else if (isb != 0) ApplyScalarLeft(op, pa[oa], new ReadOnlySpan<T>(pb + ob, inner), dst);
            else dst.Fill(Scalar(op, pa[oa], pb[ob]));
            for (int d = rank - 2; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
        }
    }

    private static T Scalar<T>(BinaryOp op, T x, T z) where T : IFloatingPointIeee754<T> => op switch
    {
        BinaryOp.Add => x + z, BinaryOp.Sub => x - z, BinaryOp.Mul => x * z, _ => x / z,
    };

    private static void Apply<T>(BinaryOp op, ReadOnlySpan<T> x, ReadOnlySpan<T> z, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(x, z, d); break;
            case BinaryOp.Sub: TensorPrimitives.Subtract(x, z, d); break;
            case BinaryOp.Mul: TensorPrimitives.Multiply(x, z, d); break;
            default: TensorPrimitives.Divide(x, z, d); break;
        }
    }

    private static void ApplyScalarRight<T>(BinaryOp op, ReadOnlySpan<T> x, T z, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(x, z, d); break;
            case BinaryOp.Sub: TensorPrimitives.Subtract(x, z, d); break;
            case BinaryOp.Mul: TensorPrimitives.Multiply(x, z, d); break;
            default: TensorPrimitives.Divide(x, z, d); break;
        }
    }

    private static void ApplyScalarLeft<T>(BinaryOp op, T x, ReadOnlySpan<T> z, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(z, x, d); break;
            case BinaryOp.Sub: TensorPrimitives.Subtract(x, z, d); break;
            case BinaryOp.Mul: TensorPrimitives.Multiply(z, x, d); break;
            default: TensorPrimitives.Divide(x, z, d); break;
        }
    }

    public static void Affine<T>(ReadOnlySpan<T> x, T alpha, T beta, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (beta == T.Zero) TensorPrimitives.Multiply(x, alpha, y);
        else { TensorPrimitives.Multiply(x, alpha, y); TensorPrimitives.Add(y, beta, y); }
    }

    /// <summary>
    /// TensorPrimitives.Tanh for float loses its relative accuracy near 0 (measured: 3.7e-2 relative error for
    /// |x| &lt; 1/16, against ≤ 1e-6 above): those elements are recomputed in double. (Found by the CUDA parity suite,
    /// whose device tanhf is within 2e-7.) The double overload is accurate (≤ 1.5e-11) and left alone.
    /// </summary>
    private static void FixSmallTanh<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float)) return;
        var xf = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(x);
        var yf = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(y);
        for (int i = 0; i < xf.Length; i++)
            if (MathF.Abs(xf[i]) < 0.0625f) yf[i] = (float)Math.Tanh(xf[i]);
    }

    public static void Unary<T>(UnaryOp op, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case UnaryOp.Neg: TensorPrimitives.Negate(x, y); break;
            case UnaryOp.Exp: TensorPrimitives.Exp(x, y); break;
            case UnaryOp.Log: TensorPrimitives.Log(x, y); break;
            case UnaryOp.Sigmoid: TensorPrimitives.Sigmoid(x, y); break;
            case UnaryOp.Tanh: TensorPrimitives.Tanh(x, y); FixSmallTanh(x, y); break;
            case UnaryOp.Sqrt: TensorPrimitives.Sqrt(x, y); break;
            case UnaryOp.Square: TensorPrimitives.Multiply(x, x, y); break;
            case UnaryOp.Abs: TensorPrimitives.Abs(x, y); break;
            case UnaryOp.Relu: TensorPrimitives.Max(x, T.Zero, y); break;
            case UnaryOp.LogSigmoid:
                // log σ(x) = min(x,0) − log1p(exp(−|x|)), stable for both signs.
                for (int i = 0; i < x.Length; i++) y[i] = T.Min(x[i], T.Zero) - T.LogP1(T.Exp(-T.Abs(x[i])));
                break;
            default: throw new NotSupportedException(op.ToString());
        }
    }

    public static void UnaryBackward<T>(UnaryOp op, ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> gy, Span<T> gx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var two = T.One + T.One;
        for (int i = 0; i < x.Length; i++)
        {
            T xi = x[i], yi = y[i], g = gy[i];
            gx[i] = op switch
            {
                UnaryOp.Neg => -g,
                UnaryOp.Exp => g * yi,
                UnaryOp.Log => g / xi,
                UnaryOp.Sigmoid => g * yi * (T.One - yi),
                UnaryOp.LogSigmoid => g * (T.One - T.One / (T.One + T.Exp(-xi))),
                UnaryOp.Tanh => g * (T.One - yi * yi),
                UnaryOp.Relu => xi > T.Zero ? g : T.Zero,
                UnaryOp.Sqrt => g / (two * yi),
                UnaryOp.Square => g * two * xi,
                UnaryOp.Abs => g * T.CreateTruncating(T.Sign(xi)),
                _ => throw new NotSupportedException(op.ToString()),
            };
        }
    }

    /// <summary>Sum of contiguous x over dims; y has x's shape with those dims set to 1 (contiguous).</summary>
    public static void Sum<T>(Tensor x, int[] dims, Tensor y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shape = x.ShapeArray();
        int rank = shape.Length;
        var keep = shape.ToArray();
        foreach (var d in dims) keep[d] = 1;
        var ys = BroadcastStrides(keep, shape); // output offset for every input index
        T* px = x.Ptr<T>(), py = y.Ptr<T>();
        new Span<T>(py, checked((int)y.NumElements)).Clear();
        if (x.NumElements == 0) return;
        if (rank == 0) { py[0] = px[0]; return; }
        int inner = shape[rank - 1];
        bool innerReduced = ys[rank - 1] == 0;
        long outer = x.NumElements / inner;
        var idx = new int[rank - 1];
        for (long o = 0; o < outer; o++)
        {
            long oy = 0;
            for (int d = 0; d < rank - 1; d++) oy += idx[d] * ys[d];
            var src = new ReadOnlySpan<T>(px + o * inner, inner);
            if (innerReduced) py[oy] += CpuReduce.Sum(src);
            else { var dst = new Span<T>(py + oy, inner); TensorPrimitives.Add(dst, src, dst); }
            for (int d = rank - 2; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
        }
    }
}
