namespace Engine.Runtime;

/// <summary>
/// Constants of the hard-concrete (L0) gate of Louizos et al. as used by CoFi/Sheared-LLaMA/DRPruning
/// (`l0_module.py`): stretch interval (l, r) = (−0.1, 1.1), temperature β = 2/3, ε = 1e-6, the eval-mask
/// "magical number" 0.8, and the log α box [ln 0.01, ln 100] the trainer clamps to before each forward.
/// The kernels in kernels/hardconcrete.cu spell the same numbers; change both together.
/// </summary>
public static class HardConcrete
{
    public const double L = -0.1;
    public const double R = 1.1;
    /// <summary>r − l, spelled as the literal 1.2 so the f32 value (1.2f) is the same on every backend.</summary>
    public const double Stretch = 1.2;
    public const double Beta = 2.0 / 3.0;
    public const double Eps = 1e-6;
    public const double MagicalNumber = 0.8;
    /// <summary>−β·logit(xn), xn = (0 − l)/(r − l) = 1/12: score = σ(log α + ScoreShift) = σ(log α + β·ln 11).</summary>
    public const double ScoreShift = 1.598596848532247;
    public static readonly double LogAlphaMin = Math.Log(0.01);
    public static readonly double LogAlphaMax = Math.Log(100.0);

    /// <summary>
    /// The uniform noise of element i of the Philox stream (seed, offset), in f32 on every backend:
    /// u = fma(U, 0.999998f, 1e-6f) with U = Philox.ToUniform(Philox.Word(seed, offset, i)) ∈ [0, 1) on the
    /// 2⁻²⁴ grid, so u ∈ [ε, 1 − ε). One correctly rounded fma: bit-identical on CPU and GPU.
    /// </summary>
    public static float Noise(uint word) => MathF.FusedMultiplyAdd(Philox.ToUniform(word), 0.999998f, 1e-6f);

    /// <summary>
    /// exp(x) from IEEE +, ×, ÷ and fma only (Cody–Waite reduction by ln 2, 14-term Horner), so the GPU twin
    /// (hc_exp_det in hardconcrete.cu) returns the same bits. Used where a count must agree exactly across
    /// backends (the eval mask's k); relative error ≈ 1e-16, |x| clamped to 700.
    /// </summary>
    internal static double DeterministicExp(double x)
    {
        x = Math.Min(Math.Max(x, -700.0), 700.0);
        double n = Math.Floor(Math.FusedMultiplyAdd(x, BitConverter.Int64BitsToDouble(0x3FF71547652B82FE), 0.5)); // x/ln2 + 0.5
        double r = Math.FusedMultiplyAdd(-n, BitConverter.Int64BitsToDouble(0x3FE62E42FEE00000), x);            // − n·ln2_hi
        r = Math.FusedMultiplyAdd(-n, BitConverter.Int64BitsToDouble(0x3DEA39EF35793C76), r);                    // − n·ln2_lo
        double p = 1.0;
        for (int k = 14; k >= 1; k--) p = Math.FusedMultiplyAdd(r / k, p, 1.0);
        return p * BitConverter.Int64BitsToDouble((long)((int)n + 1023) << 52);
    }

    /// <summary>P(z ≠ 0) in f64 through <see cref="DeterministicExp"/>: 1 − clamp(σ(−log α − shift), ε, 1 − ε).</summary>
    internal static double DeterministicScore(double logAlpha)
    {
        double cdf = 1.0 / (1.0 + DeterministicExp(logAlpha + ScoreShift));
        return 1.0 - Math.Min(Math.Max(cdf, 1e-6), 1.0 - 1e-6);
    }

    /// <summary>Threads per block of the eval-mask kernel; the CPU sums a row's scores in the same tree order.</summary>
    internal const int EvalBlock = 256;

    /// <summary>
    /// Σ DeterministicScore over a row in the GPU kernel's order: thread t sums elements t, t+256, … in turn,
    /// then the 256 partials are added pairwise (stride 128, 64, …, 1). Same order, same bits.
    /// </summary>
    internal static double RowScoreSum(Func<int, double> logAlphaAt, int n)
    {
        Span<double> part = stackalloc double[EvalBlock];
        for (int t = 0; t < EvalBlock; t++)
        {
            double acc = 0;
            for (int j = t; j < n; j += EvalBlock) acc += DeterministicScore(logAlphaAt(j));
            part[t] = acc;
        }
        for (int s = EvalBlock / 2; s > 0; s >>= 1)
            for (int t = 0; t < s; t++) part[t] += part[t + s];
        return part[0];
    }

    /// <summary>Number of entries the eval mask zeroes in a row: round-half-even(n − Σ score) (Python's round), in [0, n].</summary>
    internal static int ZerosFromScore(double scoreSum, int n) => (int)Math.Min(Math.Max(Math.Round(n - scoreSum, MidpointRounding.ToEven), 0), n);
}
