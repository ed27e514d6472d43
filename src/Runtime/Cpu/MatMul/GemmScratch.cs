using System.Runtime.InteropServices;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Per-thread pack buffers in 64-byte-aligned native memory, grown on demand and reused across calls so a GEMM
/// allocates nothing in steady state. They live as long as their thread (pool threads persist).
/// </summary>
internal static unsafe class GemmScratch
{
    [ThreadStatic] private static byte* _a;
    [ThreadStatic] private static nuint _aBytes;
    [ThreadStatic] private static byte* _b;
    [ThreadStatic] private static nuint _bBytes;

    public static T* A<T>(long count) where T : unmanaged => (T*)Grow(ref _a, ref _aBytes, (nuint)(count * sizeof(T)));
    public static T* B<T>(long count) where T : unmanaged => (T*)Grow(ref _b, ref _bBytes, (nuint)(count * sizeof(T)));

    private static byte* Grow(ref byte* buf, ref nuint have, nuint need)
    {
        if (need <= have) return buf;
        if (buf != null) NativeMemory.AlignedFree(buf);
        buf = (byte*)NativeMemory.AlignedAlloc(need, 64);
        have = need;
        return buf;
    }
}
