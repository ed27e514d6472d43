using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Engine.Runtime.Cpu;

/// <summary>How many rows of A one small-M kernel call serves (a type, so the JIT drops the unused accumulators).</summary>
internal interface ISkinnyRows { static abstract int R { get; } }
internal readonly struct SkinnyRows1 : ISkinnyRows { public static int R => 1; }
internal readonly struct SkinnyRows2 : ISkinnyRows { public static int R => 2; }
internal readonly struct SkinnyRows4 : ISkinnyRows { public static int R => 4; }

/// <summary>
/// Register-blocked kernels of the small-M GEMM. Both keep R (≤ 4) rows of A against a few vectors' worth of B in
/// registers, so each streamed element of B is used R times, and every output is one sequential k-loop in a fixed lane,
/// independent of how the columns were split between threads.
/// </summary>
internal static unsafe class GemmSkinnyKernels
{
    /// <summary>
    /// Dot form (op(B) = Wᵀ, W rows contiguous): o[r·4 + j] = Σ_p a[r·lda + p]·w_j[p] for r &lt; R, j &lt; 4.
    /// Vector partial sums over k, then lanes in a fixed order, then the k tail. ahead (elements) is where the next
    /// group's rows lie relative to these, prefetched in lockstep: with short rows (k = 512: 2 KiB) each row is too short
    /// a stream for the hardware prefetcher to train on, and reading W ran at a third of the memory bandwidth.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot4<T, TV, TO, TR>(int k, T* a, long lda, T* w0, T* w1, T* w2, T* w3, nint ahead, T* o)
        where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TO : ISkinnyVec<TV, T> where TR : ISkinnyRows
    {
        TV c00 = default, c01 = default, c02 = default, c03 = default;
        TV c10 = default, c11 = default, c12 = default, c13 = default;
        TV c20 = default, c21 = default, c22 = default, c23 = default;
        TV c30 = default, c31 = default, c32 = default, c33 = default;
        int w = TO.Count, p = 0;
        for (; p <= k - w; p += w)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(w0 + ahead + p); Sse.Prefetch0(w1 + ahead + p); Sse.Prefetch0(w2 + ahead + p); Sse.Prefetch0(w3 + ahead + p);
            }
            TV b0 = TO.Load(w0 + p), b1 = TO.Load(w1 + p), b2 = TO.Load(w2 + p), b3 = TO.Load(w3 + p);
            TV x = TO.Load(a + p);
            c00 = TO.MulAdd(x, b0, c00); c01 = TO.MulAdd(x, b1, c01); c02 = TO.MulAdd(x, b2, c02); c03 = TO.MulAdd(x, b3, c03);
            if (TR.R > 1)
            {
                x = TO.Load(a + lda + p);
                c10 = TO.MulAdd(x, b0, c10); c11 = TO.MulAdd(x, b1, c11); c12 = TO.MulAdd(x, b2, c12); c13 = TO.MulAdd(x, b3, c13);
            }
            if (TR.R > 2)
            {
                x = TO.Load(a + 2 * lda + p);
                c20 = TO.MulAdd(x, b0, c20); c21 = TO.MulAdd(x, b1, c21); c22 = TO.MulAdd(x, b2, c22); c23 = TO.MulAdd(x, b3, c23);
                x = TO.Load(a + 3 * lda + p);
                c30 = TO.MulAdd(x, b0, c30); c31 = TO.MulAdd(x, b1, c31); c32 = TO.MulAdd(x, b2, c32); c33 = TO.MulAdd(x, b3, c33);
            }
        }
        o[0] = TO.Sum(c00); o[1] = TO.Sum(c01); o[2] = TO.Sum(c02); o[3] = TO.Sum(c03);
        if (TR.R > 1) { o[4] = TO.Sum(c10); o[5] = TO.Sum(c11); o[6] = TO.Sum(c12); o[7] = TO.Sum(c13); }
        if (TR.R > 2)
        {
            o[8] = TO.Sum(c20); o[9] = TO.Sum(c21); o[10] = TO.Sum(c22); o[11] = TO.Sum(c23);
            o[12] = TO.Sum(c30); o[13] = TO.Sum(c31); o[14] = TO.Sum(c32); o[15] = TO.Sum(c33);
        }
        for (; p < k; p++)
            for (int r = 0; r < TR.R; r++)
            {
                T x = a[r * lda + p];
                o[r * 4 + 0] += x * w0[p]; o[r * 4 + 1] += x * w1[p]; o[r * 4 + 2] += x * w2[p]; o[r * 4 + 3] += x * w3[p];
            }
    }

    /// <summary>
    /// Axpy form (op(B) = B, rows contiguous): o[r·ldo + j] = Σ_p a[r·lda + p]·B[p, j0 + j] for r &lt; R and V vectors of
    /// columns (V = 4 or 1, a full vector each), B row p read through the source's Row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Axpy<T, TV, TO, TR, TB>(int k, T* a, long lda, TB b, int j0, int vectors, T* scratch, T* o, int ldo)
        where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TO : ISkinnyVec<TV, T> where TR : ISkinnyRows
        where TB : struct, IGemmBSource<T>
    {
        TV c00 = default, c01 = default, c02 = default, c03 = default;
        TV c10 = default, c11 = default, c12 = default, c13 = default;
        TV c20 = default, c21 = default, c22 = default, c23 = default;
        TV c30 = default, c31 = default, c32 = default, c33 = default;
        int w = TO.Count;
        bool four = vectors == 4;
        for (int p = 0; p < k; p++)
        {
            T* bp = b.Row(p, j0, vectors * w, scratch);
            TV b0 = TO.Load(bp), b1 = default, b2 = default, b3 = default;
            if (four) { b1 = TO.Load(bp + w); b2 = TO.Load(bp + 2 * w); b3 = TO.Load(bp + 3 * w); }
            TV x = TO.Broadcast(a[p]);
            c00 = TO.MulAdd(x, b0, c00);
            if (four) { c01 = TO.MulAdd(x, b1, c01); c02 = TO.MulAdd(x, b2, c02); c03 = TO.MulAdd(x, b3, c03); }
            if (TR.R > 1)
            {
                x = TO.Broadcast(a[lda + p]);
                c10 = TO.MulAdd(x, b0, c10);
                if (four) { c11 = TO.MulAdd(x, b1, c11); c12 = TO.MulAdd(x, b2, c12); c13 = TO.MulAdd(x, b3, c13); }
            }
            if (TR.R > 2)
            {
                x = TO.Broadcast(a[2 * lda + p]);
                c20 = TO.MulAdd(x, b0, c20);
                if (four) { c21 = TO.MulAdd(x, b1, c21); c22 = TO.MulAdd(x, b2, c22); c23 = TO.MulAdd(x, b3, c23); }
                x = TO.Broadcast(a[3 * lda + p]);
                c30 = TO.MulAdd(x, b0, c30);
                if (four) { c31 = TO.MulAdd(x, b1, c31); c32 = TO.MulAdd(x, b2, c32); c33 = TO.MulAdd(x, b3, c33); }
            }
        }
        StoreRow<T, TV, TO>(o, w, four, c00, c01, c02, c03);
        if (TR.R > 1) StoreRow<T, TV, TO>(o + ldo, w, four, c10, c11, c12, c13);
        if (TR.R > 2)
        {
            StoreRow<T, TV, TO>(o + 2 * ldo, w, four, c20, c21, c22, c23);
            StoreRow<T, TV, TO>(o + 3 * ldo, w, four, c30, c31, c32, c33);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<T, TV, TO>(T* o, int w, bool four, TV v0, TV v1, TV v2, TV v3)
        where T : unmanaged, IFloatingPointIeee754<T> where TV : struct where TO : ISkinnyVec<TV, T>
    {
        TO.Store(o, v0);
        if (four) { TO.Store(o + w, v1); TO.Store(o + 2 * w, v2); TO.Store(o + 3 * w, v3); }
    }
}
