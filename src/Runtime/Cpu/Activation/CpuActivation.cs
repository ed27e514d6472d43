using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Engine.Runtime.Cpu;

/// <summary>
/// SiLU, GELU (exact and tanh) and fused SwiGLU kernels, generic over F32/F64. Work runs in chunks
/// (parallel for large tensors) and, inside a chunk, in blocks small enough for stack scratch space.
/// </summary>
internal static unsafe class CpuActivation
{
    private const int Block = 1024;

    public static void Forward<T>(ActivationKind kind, T* x, T* y, long n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CpuChunks.For(n, (start, len) =>
        {
            for (int b = 0; b < len; b += Block)
            {
                int m = Math.Min(Block, len - b);
                var xs = new ReadOnlySpan<T>(x + start + b, m);
                var ys = new Span<T>(y + start + b, m);
                switch (kind)
                {
                    case ActivationKind.Silu: SiluBlock(xs, ys); break;
                    case ActivationKind.Gelu: GeluErfBlock(xs, ys); break;
                    case ActivationKind.GeluTanh: InF64(xs, ys, GeluTanhF64); break;
                    default: throw new NotSupportedException(kind.ToString());
                }
            }
        });
    }

    public static void Backward<T>(ActivationKind kind, T* x, T* gy, T* gx, long n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CpuChunks.For(n, (start, len) =>
        {
            for (int b = 0; b < len; b += Block)
            {
                int m = Math.Min(Block, len - b);
                var xs = new ReadOnlySpan<T>(x + start + b, m);
                var gys = new ReadOnlySpan<T>(gy + start + b, m);
                var gxs = new Span<T>(gx + start + b, m);
                switch (kind)
                {
                    case ActivationKind.Silu: InF64(xs, gys, gxs, SiluBackwardF64); break;
                    case ActivationKind.Gelu: GeluErfBackwardBlock(xs, gys, gxs); break;
                    case ActivationKind.GeluTanh: InF64(xs, gys, gxs, GeluTanhBackwardF64); break;
                    default: throw new NotSupportedException(kind.ToString());
                }
            }
        });
    }

    public static void SwiGlu<T>(T* gate, T* up, T* y, long n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CpuChunks.For(n, (start, len) =>
        {
            var g = new ReadOnlySpan<T>(gate + start, len);
            var ys = new Span<T>(y + start, len);
            TensorPrimitives.Sigmoid(g, ys);
            TensorPrimitives.Multiply(ys, g, ys);
            TensorPrimitives.Multiply(ys, new ReadOnlySpan<T>(up + start, len), ys);
        });
    }

    public static void SwiGluBackward<T>(T* gate, T* up, T* gy, T* dGate, T* dUp, long n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CpuChunks.For(n, (start, len) =>
        {
            Span<T> s = stackalloc T[Block];
            Span<T> t = stackalloc T[Block];
            for (int b = 0; b < len; b += Block)
            {
                int m = Math.Min(Block, len - b);
                long o = start + b;
                var g = new ReadOnlySpan<T>(gate + o, m);
                var u = new ReadOnlySpan<T>(up + o, m);
                var dy = new ReadOnlySpan<T>(gy + o, m);
                var sig = s[..m]; var tmp = t[..m];
                TensorPrimitives.Sigmoid(g, sig);
                // dUp = dy · silu(g)
                var du = new Span<T>(dUp + o, m);
                TensorPrimitives.Multiply(g, sig, du);
                TensorPrimitives.Multiply(du, dy, du);
                // dGate = dy · up · σ(g)·(1 + g·(1 − σ(g)))
                TensorPrimitives.Subtract(T.One, sig, tmp);
                TensorPrimitives.MultiplyAdd(g, tmp, T.One, tmp);
                TensorPrimitives.Multiply(tmp, sig, tmp);
                TensorPrimitives.Multiply(tmp, u, tmp);
                TensorPrimitives.Multiply(tmp, dy, new Span<T>(dGate + o, m));
            }
        });
    }

    private static void SiluBlock<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Sigmoid(x, y);
        TensorPrimitives.Multiply(y, x, y);
    }

    private static void SiluBackwardBlock<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gy, Span<T> gx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // silu'(x) = σ(x)·(1 + x·(1 − σ(x)))
        Span<T> s = stackalloc T[x.Length];
        TensorPrimitives.Sigmoid(x, s);
        TensorPrimitives.Subtract(T.One, s, gx);
        TensorPrimitives.MultiplyAdd(x, gx, T.One, gx);
        TensorPrimitives.Multiply(gx, s, gx);
        TensorPrimitives.Multiply(gx, gy, gx);
    }

    // GELU(x) = x·Φ(x), Φ(x) = ½·erfc(−x/√2); computed in f64 (no vector erf exists), which also makes
    // the F32 result correctly rounded in practice.
    private const double InvSqrt2 = 0.70710678118654752440;
    private const double InvSqrt2Pi = 0.39894228040143267794;

    private static void GeluErfBlock<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            y[i] = T.CreateTruncating(v * 0.5 * Erf.Complement(-v * InvSqrt2));
        }
    }

    private static void GeluErfBackwardBlock<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gy, Span<T> gx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // GELU'(x) = Φ(x) + x·φ(x)
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            double d = 0.5 * Erf.Complement(-v * InvSqrt2) + v * InvSqrt2Pi * Math.Exp(-0.5 * v * v);
            gx[i] = T.CreateTruncating(d * double.CreateTruncating(gy[i]));
        }
    }

    private const double SqrtTwoOverPi = 0.79788456080286535588;
    private const double TanhCubic = 0.044715;

    // Cancellation makes some f32 formulas lose up to ~1e-3 relative accuracy (1 + tanh(u) → 0 for negative x in the tanh
    // GELU; the zero of σ(x)·(1 + x·(1 − σ(x))) near x ≈ −1.28 in SiLU's gradient), so F32 data runs those blocks in f64
    // and rounds once, as exact GELU does; the CUDA kernels do the same, so the backends agree to the last bit in practice.
    private delegate void F64Block(ReadOnlySpan<double> x, Span<double> y);
    private delegate void F64BackwardBlock(ReadOnlySpan<double> x, ReadOnlySpan<double> gy, Span<double> gx);
    private static readonly F64Block GeluTanhF64 = GeluTanhBlock<double>;
    private static readonly F64BackwardBlock GeluTanhBackwardF64 = GeluTanhBackwardBlock<double>;
    private static readonly F64BackwardBlock SiluBackwardF64 = SiluBackwardBlock<double>;

    private static void InF64<T>(ReadOnlySpan<T> x, Span<T> y, F64Block f) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double)) { f(MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(y)); return; }
        Span<double> xd = stackalloc double[x.Length];
        Span<double> yd = stackalloc double[x.Length];
        for (int i = 0; i < x.Length; i++) xd[i] = double.CreateTruncating(x[i]);
        f(xd, yd);
        for (int i = 0; i < y.Length; i++) y[i] = T.CreateTruncating(yd[i]);
    }

    private static void InF64<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gy, Span<T> gx, F64BackwardBlock f) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double)) { f(MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(gy), MemoryMarshal.Cast<T, double>(gx)); return; }
        Span<double> xd = stackalloc double[x.Length];
        Span<double> gd = stackalloc double[x.Length];
        Span<double> od = stackalloc double[x.Length];
        for (int i = 0; i < x.Length; i++) { xd[i] = double.CreateTruncating(x[i]); gd[i] = double.CreateTruncating(gy[i]); }
        f(xd, gd, od);
        for (int i = 0; i < gx.Length; i++) gx[i] = T.CreateTruncating(od[i]);
    }

    private static void GeluTanhBlock<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // ½x(1 + tanh(k·x·(1 + c·x²)))
        T k = T.CreateTruncating(SqrtTwoOverPi), c = T.CreateTruncating(TanhCubic), half = T.CreateTruncating(0.5);
        Span<T> t = stackalloc T[x.Length];
        TensorPrimitives.Multiply(x, x, t);
        TensorPrimitives.Multiply(t, c, t);
        TensorPrimitives.Add(t, T.One, t);
        TensorPrimitives.Multiply(t, x, t);
        TensorPrimitives.Multiply(t, k, t);
        TensorPrimitives.Tanh(t, t);
        TensorPrimitives.Add(t, T.One, t);
        TensorPrimitives.Multiply(t, x, y);
        TensorPrimitives.Multiply(y, half, y);
    }

    private static void GeluTanhBackwardBlock<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gy, Span<T> gx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // d/dx = ½(1 + th) + ½·x·(1 − th²)·k·(1 + 3c·x²), th = tanh(k·x·(1 + c·x²))
        T k = T.CreateTruncating(SqrtTwoOverPi), c = T.CreateTruncating(TanhCubic), half = T.CreateTruncating(0.5);
        T c3 = T.CreateTruncating(3 * TanhCubic);
        Span<T> x2 = stackalloc T[x.Length];
        Span<T> th = stackalloc T[x.Length];
        TensorPrimitives.Multiply(x, x, x2);
        TensorPrimitives.Multiply(x2, c, th);
        TensorPrimitives.Add(th, T.One, th);
        TensorPrimitives.Multiply(th, x, th);
        TensorPrimitives.Multiply(th, k, th);
        TensorPrimitives.Tanh(th, th);
        // gx ← x·k·(1 + 3c·x²)·(1 − th²)
        TensorPrimitives.Multiply(x2, c3, gx);
        TensorPrimitives.Add(gx, T.One, gx);
        TensorPrimitives.Multiply(gx, x, gx);
        TensorPrimitives.Multiply(gx, k, gx);
        TensorPrimitives.Multiply(th, th, x2);
        TensorPrimitives.Subtract(T.One, x2, x2);
        TensorPrimitives.Multiply(gx, x2, gx);
        // + 1 + th, then ½·gy
        TensorPrimitives.Add(gx, th, gx);
        TensorPrimitives.Add(gx, T.One, gx);
        TensorPrimitives.Multiply(gx, half, gx);
        TensorPrimitives.Multiply(gx, gy, gx);
    }
}
