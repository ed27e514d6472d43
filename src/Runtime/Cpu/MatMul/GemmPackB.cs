using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Source of op(B) for the driver: packs a kc×nc block into NR-column micro-panels (for each of kc steps, NR contiguous
/// values, zero-padded past the last column). A struct so the driver is specialised per source (f32/f64, bf16).
/// </summary>
internal unsafe interface IGemmBSource<T> where T : unmanaged
{
    void Pack(int p0, int kc, int j0, int nc, int nr, T* dst);

    /// <summary>Stored row r of B, elements c0..c0+len, as T: in place when possible, else widened into scratch.</summary>
    T* Row(int r, int c0, int len, T* scratch);
}

/// <summary>Dense B of the compute type: op(B)[p,j] = trans ? b[j·ldb+p] : b[p·ldb+j].</summary>
internal readonly unsafe struct DenseB<T> : IGemmBSource<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T* _b;
    private readonly int _ldb;
    private readonly bool _trans;

    public DenseB(T* b, int ldb, bool trans) { _b = b; _ldb = ldb; _trans = trans; }

    public T* Row(int r, int c0, int len, T* scratch) => _b + (long)r * _ldb + c0;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int p0, int kc, int j0, int nc, int nr, T* dst)
    {
        for (int jp = 0; jp < nc; jp += nr)
        {
            int cols = Math.Min(nr, nc - jp);
            T* d = dst + (long)jp * kc;
            if (!_trans)
            {
                T* s = _b + (long)p0 * _ldb + j0 + jp;
                uint bytes = (uint)(cols * sizeof(T));
                if (cols == nr && bytes == 128 && Vector512.IsHardwareAccelerated)
                {
                    // A full 12×32 f32 (or 12×16 f64) panel row is two 64-byte vectors: a memmove call per 128 bytes
                    // was a visible share of packing at 256³.
                    for (int p = 0; p < kc; p++, s += _ldb, d += nr)
                    {
                        Vector512.Store(Vector512.Load((byte*)s), (byte*)d);
                        Vector512.Store(Vector512.Load((byte*)s + 64), (byte*)d + 64);
                    }
                    continue;
                }
                for (int p = 0; p < kc; p++, s += _ldb, d += nr)
                {
                    Unsafe.CopyBlockUnaligned(d, s, bytes);
                    for (int j = cols; j < nr; j++) d[j] = T.Zero;
                }
            }
            else
            {
                // Columns of op(B) are rows of B: read each contiguously, interleave with stride nr.
                GemmTranspose.Rows(_b + (long)(j0 + jp) * _ldb + p0, _ldb, cols, kc, d, nr);
                for (int j = cols; j < nr; j++)
                    for (int p = 0; p < kc; p++) d[(long)p * nr + j] = T.Zero;
            }
        }
    }
}

/// <summary>bf16 B widened to f32 while packing, so no full f32 copy of B is ever made.</summary>
internal readonly unsafe struct Bf16B : IGemmBSource<float>
{
    private readonly ushort* _b;
    private readonly int _ldb;
    private readonly bool _trans;

    public Bf16B(ushort* b, int ldb, bool trans) { _b = b; _ldb = ldb; _trans = trans; }

    public float* Row(int r, int c0, int len, float* scratch)
    {
        DTypeConvert.Bf16ToFloat(new ReadOnlySpan<ushort>(_b + (long)r * _ldb + c0, len), new Span<float>(scratch, len));
        return scratch;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int p0, int kc, int j0, int nc, int nr, float* dst)
    {
        float* wide = stackalloc float[_trans ? 4 * kc : 0]; // kc ≤ KC (384): at most 6 KiB
        for (int jp = 0; jp < nc; jp += nr)
        {
            int cols = Math.Min(nr, nc - jp);
            float* d = dst + (long)jp * kc;
            if (!_trans)
            {
                ushort* s = _b + (long)p0 * _ldb + j0 + jp;
                for (int p = 0; p < kc; p++, s += _ldb, d += nr)
                {
                    DTypeConvert.Bf16ToFloat(new ReadOnlySpan<ushort>(s, cols), new Span<float>(d, cols));
                    for (int j = cols; j < nr; j++) d[j] = 0f;
                }
            }
            else
            {
                // Widen 4 stored rows (= 4 columns of op(B)) at a time into a small buffer, then interleave them
                // with the same 4×4 transposes as the f32 path.
                for (int j = 0; j < cols; j += 4)
                {
                    int group = Math.Min(4, cols - j);
                    for (int g = 0; g < group; g++)
                        DTypeConvert.Bf16ToFloat(new ReadOnlySpan<ushort>(_b + (long)(j0 + jp + j + g) * _ldb + p0, kc), new Span<float>(wide + g * kc, kc));
                    GemmTranspose.Rows(wide, kc, group, kc, d + j, nr);
                }
                for (int j = cols; j < nr; j++)
                    for (int p = 0; p < kc; p++) d[(long)p * nr + j] = 0f;
            }
        }
    }
}
