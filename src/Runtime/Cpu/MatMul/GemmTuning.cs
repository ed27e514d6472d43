namespace Engine.Runtime.Cpu;

/// <summary>
/// The packed GEMM's choice of microkernel family and cache blocking for one CPU: a fixed table keyed by CPUID vendor,
/// family and vector extensions, with blocking derived from the measured cache sizes. A table, not tuning at first
/// use: a timing-based choice could differ between two runs on the same machine (a busy core, a cold cache), and a
/// different kernel or KC changes the summation order, so the same seed would no longer give the same bytes. The
/// override ENGINE_GEMM_KERNEL=avx512|avx2|portable forces a family (for comparison and for bisecting a numeric
/// difference); it fails loudly if the CPU lacks it.
/// </summary>
internal readonly record struct GemmTuning(string Name, GemmIsa Isa, int KcF32, int L2BudgetBytes, int McRows)
{
    public const string OverrideVariable = "ENGINE_GEMM_KERNEL";

    private static readonly Lazy<GemmTuning> Row = new(() => For(GemmCpu.Current, Environment.GetEnvironmentVariable(OverrideVariable)));

    /// <summary>This process's row, read once (a bad override throws its own error on every use, not a type-initializer one).</summary>
    public static GemmTuning Current => BenchRow ?? Row.Value;

    /// <summary>A blocking under study, set only by the GEMM benchmarks (variants --kc/--l2/--mc) before any GEMM runs.</summary>
    internal static GemmTuning? BenchRow;

    /// <summary>The table. Blocking values are the ones measured on Zen 4 (bench/results/cpu-gemm.md); Zen 5 and
    /// Intel keep them until a measurement there says otherwise (Zen 5: 0.97–1.15× OpenBLAS at 512–2048 with them).</summary>
    public static GemmTuning For(GemmCpu cpu, string? overrideKernel = null)
    {
        // Half of L2 for the packed B block: the rest holds A panels, C tiles and the other hardware's traffic.
        int l2Budget = Math.Clamp(cpu.L2Bytes / 2, 128 * 1024, 1024 * 1024);
        var t = (cpu.Avx512, cpu.Avx2Fma) switch
        {
            (true, _) when cpu.IsAmd && cpu.Family == 0x19 => new GemmTuning("zen4", GemmIsa.Avx512, 384, l2Budget, 1536),
            (true, _) when cpu.IsAmd && cpu.Family >= 0x1A => new GemmTuning("zen5", GemmIsa.Avx512, 384, l2Budget, 1536),
            (true, _) when cpu.IsIntel => new GemmTuning("intel-avx512", GemmIsa.Avx512, 384, l2Budget, 1536),
            (true, _) => new GemmTuning("avx512", GemmIsa.Avx512, 384, l2Budget, 1536),
            (false, true) => new GemmTuning("avx2", GemmIsa.Avx2, 384, l2Budget, 1536),
            _ => new GemmTuning("portable", GemmIsa.Portable, 384, l2Budget, 1536),
        };
        if (string.IsNullOrEmpty(overrideKernel)) return t;
        var isa = overrideKernel.Trim().ToLowerInvariant() switch
        {
            "avx512" => GemmIsa.Avx512,
            "avx2" => GemmIsa.Avx2,
            "portable" => GemmIsa.Portable,
            _ => throw new ArgumentException($"{OverrideVariable}='{overrideKernel}': expected avx512, avx2 or portable"),
        };
        bool ok = isa switch { GemmIsa.Avx512 => cpu.Avx512, GemmIsa.Avx2 => cpu.Avx2Fma, _ => true };
        if (!ok) throw new PlatformNotSupportedException($"{OverrideVariable}={overrideKernel}: this CPU ({cpu}) does not support that kernel");
        return t with { Name = $"{t.Name} ({OverrideVariable}={overrideKernel.Trim()})", Isa = isa };
    }
}
