using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Engine.Runtime;

/// <summary>Vectorised conversions between the floating dtypes (bf16 round-to-nearest-even).</summary>
public static unsafe class DTypeConvert
{
    public static float Bf16ToFloat(ushort b) => BitConverter.Int32BitsToSingle(b << 16);

    public static ushort FloatToBf16(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        if (float.IsNaN(f)) return (ushort)((bits >> 16) | 0x40); // keep it a quiet NaN
        uint lsb = (bits >> 16) & 1;
        return (ushort)((bits + 0x7FFFu + lsb) >> 16);
    }

    public static void Bf16ToFloat(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short");
        int i = 0, n = src.Length;
        fixed (ushort* ps = src) fixed (float* pd = dst)
        {
            if (Vector512.IsHardwareAccelerated)
                for (; i + 16 <= n; i += 16)
                {
                    var w = Vector512.WidenLower(Vector512.Create(Vector256.Load(ps + i), Vector256<ushort>.Zero));
                    (Vector512.ShiftLeft(w.AsUInt32(), 16)).AsSingle().Store(pd + i);
                }
            else if (Vector256.IsHardwareAccelerated)
                for (; i + 8 <= n; i += 8)
                {
                    var w = Vector256.WidenLower(Vector256.Create(Vector128.Load(ps + i), Vector128<ushort>.Zero));
                    (Vector256.ShiftLeft(w.AsUInt32(), 16)).AsSingle().Store(pd + i);
                }
            for (; i < n; i++) pd[i] = Bf16ToFloat(ps[i]);
        }
    }

    public static void FloatToBf16(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short");
        int i = 0, n = src.Length;
        fixed (float* ps = src) fixed (ushort* pd = dst)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                var bias = Vector512.Create(0x7FFFu);
                var one = Vector512.Create(1u);
                for (; i + 16 <= n; i += 16)
                {
                    var f = Vector512.Load(ps + i);
                    var bits = f.AsUInt32();
                    var rounded = (bits + bias + ((bits >> 16) & one)) >> 16;
                    var nan = Vector512.Equals(f, f).AsUInt32(); // all-ones where not NaN
                    var quiet = (bits >> 16) | Vector512.Create(0x40u);
                    var r = Vector512.ConditionalSelect(nan, rounded, quiet);
                    Vector512.Narrow(r, Vector512<uint>.Zero).GetLower().Store(pd + i);
                }
            }
            for (; i < n; i++) pd[i] = FloatToBf16(ps[i]);
        }
    }

    /// <summary>Convert <paramref name="count"/> elements between dtypes (host memory, dense).</summary>
    public static void Convert(void* src, DType from, void* dst, DType to, long count)
    {
        if (from == to) { Buffer.MemoryCopy(src, dst, count * to.SizeOf(), count * to.SizeOf()); return; }
        const int chunk = 1 << 16;
        for (long start = 0; start < count; start += chunk)
        {
            int n = (int)Math.Min(chunk, count - start);
            ConvertChunk((byte*)src + start * from.SizeOf(), from, (byte*)dst + start * to.SizeOf(), to, n);
        }
    }

    private static void ConvertChunk(byte* src, DType from, byte* dst, DType to, int n)
    {
        // Fast paths for the pairs that matter on hot paths.
        if (from == DType.BF16 && to == DType.F32) { Bf16ToFloat(new ReadOnlySpan<ushort>(src, n), new Span<float>(dst, n)); return; }
        if (from == DType.F32 && to == DType.BF16) { FloatToBf16(new ReadOnlySpan<float>(src, n), new Span<ushort>(dst, n)); return; }
        if (from == DType.F16 && to == DType.F32) { TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(src, n), new Span<float>(dst, n)); return; }
        if (from == DType.F32 && to == DType.F16) { TensorPrimitives.ConvertToHalf(new ReadOnlySpan<float>(src, n), new Span<Half>(dst, n)); return; }
        // General path through double: exact for every pair except rounding into the narrower type.
        var tmp = new double[n];
        for (int i = 0; i < n; i++) tmp[i] = from switch
        {
            DType.F32 => ((float*)src)[i],
            DType.F64 => ((double*)src)[i],
            DType.BF16 => Bf16ToFloat(((ushort*)src)[i]),
            DType.F16 => (double)((Half*)src)[i],
            DType.I32 => ((int*)src)[i],
            DType.I64 => ((long*)src)[i],
            DType.U8 => src[i],
            _ => throw new NotSupportedException(from.ToString()),
        };
        for (int i = 0; i < n; i++)
        {
            var v = tmp[i];
            switch (to)
            {
                case DType.F32: ((float*)dst)[i] = (float)v; break;
                case DType.F64: ((double*)dst)[i] = v; break;
                case DType.BF16: ((ushort*)dst)[i] = FloatToBf16((float)v); break;
                case DType.F16: ((Half*)dst)[i] = (Half)v; break;
                case DType.I32: ((int*)dst)[i] = checked((int)v); break;
                case DType.I64: ((long*)dst)[i] = checked((long)v); break;
                case DType.U8: dst[i] = checked((byte)v); break;
            }
        }
    }
}
