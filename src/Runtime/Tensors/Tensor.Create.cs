using System.Runtime.InteropServices;

namespace Engine.Runtime;

public sealed unsafe partial class Tensor
{
    public static Tensor Empty(ReadOnlySpan<int> shape, DType dtype = DType.F32, Device? device = null) => Alloc(shape, dtype, device ?? Device.Cpu, zero: false);

    public static Tensor Zeros(ReadOnlySpan<int> shape, DType dtype = DType.F32, Device? device = null) => Alloc(shape, dtype, device ?? Device.Cpu, zero: true);

    public static Tensor ZerosLike(Tensor t) => Zeros(t.Shape, t.DType, t.Device);
    public static Tensor EmptyLike(Tensor t) => Empty(t.Shape, t.DType, t.Device);

    private static Tensor Alloc(ReadOnlySpan<int> shape, DType dtype, Device device, bool zero)
    {
        var shp = shape.ToArray();
        long n = 1;
        foreach (var d in shp) { if (d < 0) throw new ArgumentException($"Negative dimension in shape [{string.Join(", ", shp)}]"); n = checked(n * d); }
        var bytes = checked(n * dtype.SizeOf());
        var storage = device.IsCpu ? Storage.AllocateCpu(bytes, zero) : Backend.For(device).Allocate(bytes, zero);
        return new Tensor(storage, dtype, shp, ContiguousStrides(shp), 0);
    }

    public static Tensor Full(ReadOnlySpan<int> shape, double value, DType dtype = DType.F32, Device? device = null)
    {
        var t = Empty(shape, dtype, Device.Cpu);
        switch (dtype)
        {
            case DType.F32: t.AsSpan<float>().Fill((float)value); break;
            case DType.F64: t.AsSpan<double>().Fill(value); break;
            case DType.I32: t.AsSpan<int>().Fill(checked((int)value)); break;
            case DType.I64: t.AsSpan<long>().Fill(checked((long)value)); break;
            case DType.U8: t.AsSpan<byte>().Fill(checked((byte)value)); break;
            case DType.BF16: t.AsSpan<ushort>().Fill(DTypeConvert.FloatToBf16((float)value)); break;
            case DType.F16: t.AsSpan<Half>().Fill((Half)value); break;
        }
        return device is { IsCpu: false } d ? t.To(d) : t;
    }

    public static Tensor Scalar(double value, DType dtype = DType.F32) => Full([], value, dtype);

    public static Tensor FromArray<T>(T[] data, params int[] shape) where T : unmanaged
        => FromSpan<T>(data, shape.Length == 0 ? [data.Length] : shape);

    public static Tensor FromSpan<T>(ReadOnlySpan<T> data, ReadOnlySpan<int> shape) where T : unmanaged
    {
        var dtype = DTypeOf<T>();
        var t = Empty(shape, dtype);
        if (t.NumElements != data.Length) throw new ArgumentException($"{data.Length} elements do not fill shape [{string.Join(", ", shape.ToArray())}] ({t.NumElements}).");
        data.CopyTo(t.AsSpan<T>());
        return t;
    }

    public static DType DTypeOf<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DType.F32 :
        typeof(T) == typeof(double) ? DType.F64 :
        typeof(T) == typeof(int) ? DType.I32 :
        typeof(T) == typeof(long) ? DType.I64 :
        typeof(T) == typeof(byte) ? DType.U8 :
        typeof(T) == typeof(Half) ? DType.F16 :
        typeof(T) == typeof(BFloat16) ? DType.BF16 :
        throw new NotSupportedException($"No dtype for element type {typeof(T).Name}.");

    /// <summary>Standard normal entries (Philox stream <paramref name="seed"/>), times <paramref name="std"/>.</summary>
    public static Tensor RandN(ReadOnlySpan<int> shape, ulong seed, double std = 1.0, DType dtype = DType.F32, ulong offset = 0)
    {
        var t = Empty(shape, DType.F64);
        var s = t.AsSpan<double>();
        Philox.FillNormal(seed, offset, s);
        if (std != 1.0) for (int i = 0; i < s.Length; i++) s[i] *= std;
        return dtype == DType.F64 ? t : t.To(dtype);
    }

    /// <summary>Uniform entries in [lo, hi) from the Philox stream <paramref name="seed"/>.</summary>
    public static Tensor RandUniform(ReadOnlySpan<int> shape, ulong seed, double lo = 0, double hi = 1, DType dtype = DType.F32, ulong offset = 0)
    {
        var t = Empty(shape, DType.F64);
        var s = t.AsSpan<double>();
        Philox.FillUniformDouble(seed, offset, s);
        for (int i = 0; i < s.Length; i++) s[i] = lo + (hi - lo) * s[i];
        return dtype == DType.F64 ? t : t.To(dtype);
    }

    public static Tensor Arange(int n, DType dtype = DType.I64)
    {
        var t = Empty([n], DType.F64);
        var s = t.AsSpan<double>();
        for (int i = 0; i < n; i++) s[i] = i;
        return t.To(dtype);
    }

    /// <summary>Copy of the elements in logical (row-major) order.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var c = Device.IsCpu ? Contiguous() : To(Device.Cpu);
        var a = c.AsSpan<T>().ToArray();
        GC.KeepAlive(c); // the span reads raw memory that c's finalizer would free
        return a;
    }

    /// <summary>Elements converted to double (any dtype), for tests and printing.</summary>
    public double[] ToDoubleArray() => Host().To(DType.F64).ToArray<double>();
    public float[] ToFloatArray() => Host().To(DType.F32).ToArray<float>();

    /// <summary>This tensor on the CPU, detached (conversions for reading happen there: a device may lack the cast kernel).</summary>
    private Tensor Host() => Device.IsCpu ? this : Detach().To(Device.Cpu);

    /// <summary>The single element of a one-element tensor, as double.</summary>
    public double Item()
    {
        if (NumElements != 1) throw new InvalidOperationException($"Item() needs one element; tensor is {ShapeString}.");
        return ToDoubleArray()[0];
    }

    public Tensor Clone()
    {
        var dst = Empty(Shape, DType, Device);
        CopyTo(dst);
        return dst;
    }

    /// <summary>Copy this tensor's elements into <paramref name="dst"/> (same shape and dtype; any strides).</summary>
    public void CopyTo(Tensor dst)
    {
        if (!dst.Shape.SequenceEqual(Shape)) throw new ArgumentException($"CopyTo shape mismatch {ShapeString} -> {dst.ShapeString}");
        if (dst.DType != DType) throw new ArgumentException($"CopyTo dtype mismatch {DType} -> {dst.DType}");
        if (!Device.IsCpu || !dst.Device.IsCpu) { Backend.For(Device.IsCpu ? dst.Device : Device).Copy(this, dst); return; }
        if (IsContiguous && dst.IsContiguous)
        {
            Buffer.MemoryCopy(RawPointer, dst.RawPointer, NumElements * DType.SizeOf(), NumElements * DType.SizeOf());
        }
        else
            switch (DType.SizeOf())
            {
                case 1: StridedCopy<byte>(this, dst); break;
                case 2: StridedCopy<ushort>(this, dst); break;
                case 4: StridedCopy<uint>(this, dst); break;
                default: StridedCopy<ulong>(this, dst); break;
            }
        // Raw copies: neither side's storage may be finalized (and freed) before they end.
        GC.KeepAlive(this); GC.KeepAlive(dst);
    }

    private static void StridedCopy<T>(Tensor src, Tensor dst) where T : unmanaged
    {
        if (src.NumElements == 0) return;
        int rank = src.Rank;
        if (rank == 0) { *(T*)dst.RawPointer = *(T*)src.RawPointer; return; }
        var idx = new int[rank];
        var ps = (T*)src.RawPointer; var pd = (T*)dst.RawPointer;
        int inner = src._shape[rank - 1];
        long ss = src._strides[rank - 1], ds = dst._strides[rank - 1];
        long outer = src.NumElements / Math.Max(inner, 1);
        for (long o = 0; o < outer; o++)
        {
            long so = 0, doff = 0;
            for (int d = 0; d < rank - 1; d++) { so += idx[d] * src._strides[d]; doff += idx[d] * dst._strides[d]; }
            T* a = ps + so; T* b = pd + doff;
            if (ss == 1 && ds == 1) new ReadOnlySpan<T>(a, inner).CopyTo(new Span<T>(b, inner));
            else for (int i = 0; i < inner; i++) b[i * ds] = a[i * ss];
            for (int d = rank - 2; d >= 0; d--) { if (++idx[d] < src._shape[d]) break; idx[d] = 0; }
        }
    }
}

/// <summary>bfloat16 storage element (raw bits); arithmetic happens in f32.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct BFloat16(ushort Bits)
{
    public static explicit operator float(BFloat16 b) => DTypeConvert.Bf16ToFloat(b.Bits);
    public static explicit operator BFloat16(float f) => new(DTypeConvert.FloatToBf16(f));
}
