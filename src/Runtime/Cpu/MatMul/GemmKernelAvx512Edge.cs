using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Runtime.Cpu;

/// <summary>
/// The last row panel of an AVX-512 GEMM block when it holds 8 rows or fewer of the 12 the packed panel has room for:
/// tile = alpha·Ã·B̃ for the first 4 or 8 rows only (Ã keeps its 12-value stride per k step). Each element is the same
/// chain of FMAs in k order as in GemmKernelAvx512, then the same multiply by alpha, so the bytes equal the full
/// kernel's; it only skips the rows the full kernel computed on zero padding. At 256³ on one thread the last of 22
/// panels has 4 rows, so a 12-row kernel spent 3 % of its FMAs on padding (bench/results/cpu-gemm.md, stop 31).
/// </summary>
internal static unsafe class GemmKernelAvx512Edge
{
    /// <summary>rows ≤ 8: writes rows [0, 4) or [0, 8) of the MR×NR tile at t (row stride ldt) with beta = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T>(int rows, int kc, T* a, T* b, T* t, nint ldt, T alpha) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector512<T>.Count, mr = GemmKernelAvx512<T>.MR;
        var va = Vector512.Create(alpha);
        if (rows <= 4)
        {
            Vector512<T> c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default, c2_0 = default, c2_1 = default, c3_0 = default, c3_1 = default;
            for (int p = 0; p < kc; p++)
            {
                var b0 = Vector512.Load(b); var b1 = Vector512.Load(b + w);
                var a0 = Vector512.Create(a[0]); c0_0 = VFma.MulAdd(a0, b0, c0_0); c0_1 = VFma.MulAdd(a0, b1, c0_1);
                var a1 = Vector512.Create(a[1]); c1_0 = VFma.MulAdd(a1, b0, c1_0); c1_1 = VFma.MulAdd(a1, b1, c1_1);
                var a2 = Vector512.Create(a[2]); c2_0 = VFma.MulAdd(a2, b0, c2_0); c2_1 = VFma.MulAdd(a2, b1, c2_1);
                var a3 = Vector512.Create(a[3]); c3_0 = VFma.MulAdd(a3, b0, c3_0); c3_1 = VFma.MulAdd(a3, b1, c3_1);
                a += mr; b += 2 * w;
            }
            VFma.Store(t + 0 * ldt, c0_0 * va); VFma.Store(t + 0 * ldt + w, c0_1 * va);
            VFma.Store(t + 1 * ldt, c1_0 * va); VFma.Store(t + 1 * ldt + w, c1_1 * va);
            VFma.Store(t + 2 * ldt, c2_0 * va); VFma.Store(t + 2 * ldt + w, c2_1 * va);
            VFma.Store(t + 3 * ldt, c3_0 * va); VFma.Store(t + 3 * ldt + w, c3_1 * va);
            return;
        }
        Vector512<T> d0_0 = default, d0_1 = default, d1_0 = default, d1_1 = default, d2_0 = default, d2_1 = default, d3_0 = default, d3_1 = default;
        Vector512<T> d4_0 = default, d4_1 = default, d5_0 = default, d5_1 = default, d6_0 = default, d6_1 = default, d7_0 = default, d7_1 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b); var b1 = Vector512.Load(b + w);
            var a0 = Vector512.Create(a[0]); d0_0 = VFma.MulAdd(a0, b0, d0_0); d0_1 = VFma.MulAdd(a0, b1, d0_1);
            var a1 = Vector512.Create(a[1]); d1_0 = VFma.MulAdd(a1, b0, d1_0); d1_1 = VFma.MulAdd(a1, b1, d1_1);
            var a2 = Vector512.Create(a[2]); d2_0 = VFma.MulAdd(a2, b0, d2_0); d2_1 = VFma.MulAdd(a2, b1, d2_1);
            var a3 = Vector512.Create(a[3]); d3_0 = VFma.MulAdd(a3, b0, d3_0); d3_1 = VFma.MulAdd(a3, b1, d3_1);
            var a4 = Vector512.Create(a[4]); d4_0 = VFma.MulAdd(a4, b0, d4_0); d4_1 = VFma.MulAdd(a4, b1, d4_1);
            var a5 = Vector512.Create(a[5]); d5_0 = VFma.MulAdd(a5, b0, d5_0); d5_1 = VFma.MulAdd(a5, b1, d5_1);
            var a6 = Vector512.Create(a[6]); d6_0 = VFma.MulAdd(a6, b0, d6_0); d6_1 = VFma.MulAdd(a6, b1, d6_1);
            var a7 = Vector512.Create(a[7]); d7_0 = VFma.MulAdd(a7, b0, d7_0); d7_1 = VFma.MulAdd(a7, b1, d7_1);
            a += mr; b += 2 * w;
        }
        VFma.Store(t + 0 * ldt, d0_0 * va); VFma.Store(t + 0 * ldt + w, d0_1 * va);
        VFma.Store(t + 1 * ldt, d1_0 * va); VFma.Store(t + 1 * ldt + w, d1_1 * va);
        VFma.Store(t + 2 * ldt, d2_0 * va); VFma.Store(t + 2 * ldt + w, d2_1 * va);
        VFma.Store(t + 3 * ldt, d3_0 * va); VFma.Store(t + 3 * ldt + w, d3_1 * va);
        VFma.Store(t + 4 * ldt, d4_0 * va); VFma.Store(t + 4 * ldt + w, d4_1 * va);
        VFma.Store(t + 5 * ldt, d5_0 * va); VFma.Store(t + 5 * ldt + w, d5_1 * va);
        VFma.Store(t + 6 * ldt, d6_0 * va); VFma.Store(t + 6 * ldt + w, d6_1 * va);
        VFma.Store(t + 7 * ldt, d7_0 * va); VFma.Store(t + 7 * ldt + w, d7_1 * va);
    }
}
