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
    public static void Run<T>(int rows, int kc, T* a, T* b, T* t, nint ldt, T alpha) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows <= 4) Rows<T, Four>(kc, a, b, t, ldt, alpha);
        else Rows<T, Eight>(kc, a, b, t, ldt, alpha);
    }

    /// <summary>TR.Rows (4 or 8) rows; the row count is a type so the JIT drops the second half for 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<T, TR>(int kc, T* a, T* b, T* t, nint ldt, T alpha) where T : unmanaged, IFloatingPointIeee754<T> where TR : struct, IEdgeRows
    {
        int w = Vector512<T>.Count, mr = GemmKernelAvx512<T>.MR;
        Vector512<T> c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default, c2_0 = default, c2_1 = default, c3_0 = default, c3_1 = default;
        Vector512<T> c4_0 = default, c4_1 = default, c5_0 = default, c5_1 = default, c6_0 = default, c6_1 = default, c7_0 = default, c7_1 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b); var b1 = Vector512.Load(b + w);
            var a0 = Vector512.Create(a[0]); c0_0 = VFma.MulAdd(a0, b0, c0_0); c0_1 = VFma.MulAdd(a0, b1, c0_1);
            var a1 = Vector512.Create(a[1]); c1_0 = VFma.MulAdd(a1, b0, c1_0); c1_1 = VFma.MulAdd(a1, b1, c1_1);
            var a2 = Vector512.Create(a[2]); c2_0 = VFma.MulAdd(a2, b0, c2_0); c2_1 = VFma.MulAdd(a2, b1, c2_1);
            var a3 = Vector512.Create(a[3]); c3_0 = VFma.MulAdd(a3, b0, c3_0); c3_1 = VFma.MulAdd(a3, b1, c3_1);
            if (TR.Rows > 4)
            {
                var a4 = Vector512.Create(a[4]); c4_0 = VFma.MulAdd(a4, b0, c4_0); c4_1 = VFma.MulAdd(a4, b1, c4_1);
                var a5 = Vector512.Create(a[5]); c5_0 = VFma.MulAdd(a5, b0, c5_0); c5_1 = VFma.MulAdd(a5, b1, c5_1);
                var a6 = Vector512.Create(a[6]); c6_0 = VFma.MulAdd(a6, b0, c6_0); c6_1 = VFma.MulAdd(a6, b1, c6_1);
                var a7 = Vector512.Create(a[7]); c7_0 = VFma.MulAdd(a7, b0, c7_0); c7_1 = VFma.MulAdd(a7, b1, c7_1);
            }
            a += mr; b += 2 * w;
        }
        var va = Vector512.Create(alpha);
        VFma.Store(t + 0 * ldt, c0_0 * va); VFma.Store(t + 0 * ldt + w, c0_1 * va);
        VFma.Store(t + 1 * ldt, c1_0 * va); VFma.Store(t + 1 * ldt + w, c1_1 * va);
        VFma.Store(t + 2 * ldt, c2_0 * va); VFma.Store(t + 2 * ldt + w, c2_1 * va);
        VFma.Store(t + 3 * ldt, c3_0 * va); VFma.Store(t + 3 * ldt + w, c3_1 * va);
        if (TR.Rows > 4)
        {
            VFma.Store(t + 4 * ldt, c4_0 * va); VFma.Store(t + 4 * ldt + w, c4_1 * va);
            VFma.Store(t + 5 * ldt, c5_0 * va); VFma.Store(t + 5 * ldt + w, c5_1 * va);
            VFma.Store(t + 6 * ldt, c6_0 * va); VFma.Store(t + 6 * ldt + w, c6_1 * va);
            VFma.Store(t + 7 * ldt, c7_0 * va); VFma.Store(t + 7 * ldt + w, c7_1 * va);
        }
    }

    private interface IEdgeRows { static abstract int Rows { get; } }
    private struct Four : IEdgeRows { public static int Rows => 4; }
    private struct Eight : IEdgeRows { public static int Rows => 8; }
}
