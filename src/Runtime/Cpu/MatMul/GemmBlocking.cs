namespace Engine.Runtime.Cpu;

/// <summary>
/// Cache blocking of the packed GEMM (GotoBLAS/BLIS loop nest, row-major). The vector operand (packed B, KC×NC) is sized
/// to sit in L2 and is streamed by the microkernel; the broadcast operand (one MR×KC panel of packed A) sits in L1.
/// Sizes target Zen 4 (32 KiB L1D, 1 MiB L2 per core) and are reasonable for other x86 parts.
/// </summary>
internal readonly record struct GemmBlocking(int MC, int KC, int NC)
{
    /// <summary>Bytes of L2 given to the packed B block; the rest holds A panels, C tiles and the other thread's noise.</summary>
    private const int L2Budget = 512 * 1024;

    public static unsafe GemmBlocking Of<T>(int mr, int nr) where T : unmanaged
    {
        int kc = sizeof(T) == 4 ? 384 : 256;
        int nc = Math.Max(nr, L2Budget / (kc * sizeof(T)) / nr * nr);
        int mc = Math.Max(mr, 1536 / mr * mr); // A block lives in L3; large so B is rarely re-packed
        return new GemmBlocking(mc, kc, nc);
    }

    /// <summary>Splits total into equal steps of at most max, so a K of 385 becomes 2×193 rather than 384+1.</summary>
    public static int Balanced(int total, int max, int multiple = 1)
    {
        int blocks = (total + max - 1) / max;
        int step = (total + blocks - 1) / blocks;
        return (step + multiple - 1) / multiple * multiple;
    }
}
