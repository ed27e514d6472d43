namespace Engine.Runtime.Cpu;

/// <summary>
/// Cache blocking of the packed GEMM (GotoBLAS/BLIS loop nest, row-major). The vector operand (packed B, KC×NC) is sized
/// to sit in L2 and is streamed by the microkernel; the broadcast operand (one MR×KC panel of packed A) sits in L1.
/// The sizes come from this CPU's row of the tuning table (GemmTuning), fixed for the life of the process.
/// </summary>
internal readonly record struct GemmBlocking(int MC, int KC, int NC)
{
    public static GemmBlocking Of<T>(int mr, int nr) where T : unmanaged => Of<T>(mr, nr, GemmTuning.Current);

    public static unsafe GemmBlocking Of<T>(int mr, int nr, GemmTuning tuning) where T : unmanaged
    {
        int kc = sizeof(T) == 4 ? tuning.KcF32 : tuning.KcF32 * 2 / 3; // f64: two thirds of the f32 depth, as measured on Zen 4
        int nc = Math.Max(nr, tuning.L2BudgetBytes / (kc * sizeof(T)) / nr * nr);
        int mc = Math.Max(mr, tuning.McRows / mr * mr); // A block lives in L3; large so B is rarely re-packed
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
