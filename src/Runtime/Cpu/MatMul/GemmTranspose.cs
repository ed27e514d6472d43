using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Strided-to-interleaved copies used by packing: take R source rows (row stride lds) of len values and write them so
/// that value p of row r lands at d[p·ldd + r]. Four rows at a time go through an SSE 4×4 transpose (4 loads, 8 shuffles,
/// 4 stores per 16 values) instead of 16 scalar strided stores.
/// </summary>
internal static unsafe class GemmTranspose
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows<T>(T* s, long lds, int rows, int len, T* d, long ldd) where T : unmanaged
    {
        int r = 0;
        if (typeof(T) == typeof(float) && Sse.IsSupported)
            for (; r + 4 <= rows; r += 4) Rows4((float*)(s + r * lds), lds, len, (float*)(d + r), ldd);
        for (; r < rows; r++)
        {
            T* sr = s + r * lds, dr = d + r;
            for (int p = 0; p < len; p++) dr[p * ldd] = sr[p];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rows4(float* s0, long lds, int len, float* d, long ldd)
    {
        float* s1 = s0 + lds, s2 = s1 + lds, s3 = s2 + lds;
        int p = 0;
        for (; p + 4 <= len; p += 4)
        {
            var x0 = Sse.LoadVector128(s0 + p); var x1 = Sse.LoadVector128(s1 + p);
            var x2 = Sse.LoadVector128(s2 + p); var x3 = Sse.LoadVector128(s3 + p);
            var lo01 = Sse.UnpackLow(x0, x1);  // a0 b0 a1 b1
            var lo23 = Sse.UnpackLow(x2, x3);  // c0 d0 c1 d1
            var hi01 = Sse.UnpackHigh(x0, x1); // a2 b2 a3 b3
            var hi23 = Sse.UnpackHigh(x2, x3); // c2 d2 c3 d3
            float* dp = d + p * ldd;
            Sse.Store(dp, Sse.MoveLowToHigh(lo01, lo23));           // a0 b0 c0 d0
            Sse.Store(dp + ldd, Sse.MoveHighToLow(lo23, lo01));     // a1 b1 c1 d1
            Sse.Store(dp + 2 * ldd, Sse.MoveLowToHigh(hi01, hi23)); // a2 b2 c2 d2
            Sse.Store(dp + 3 * ldd, Sse.MoveHighToLow(hi23, hi01)); // a3 b3 c3 d3
        }
        for (; p < len; p++)
        {
            float* dp = d + p * ldd;
            dp[0] = s0[p]; dp[1] = s1[p]; dp[2] = s2[p]; dp[3] = s3[p];
        }
    }
}
