namespace Engine.Runtime.Cpu;

/// <summary>
/// Whether matmuls with bf16 weights and bf16-exact activations (autocast) on the CPU use the VDPBF16PS kernel or
/// widen the weights inside the f32 GEMM. On by default where the CPU has AVX512_BF16; ENGINE_CPU_BF16_DOT=0 (or
/// <see cref="Enabled"/> = false) keeps the widening path. Both sum each output in the same k order with one f32
/// rounding per term, so they give the same bytes (denormals aside: VDPBF16PS flushes them to zero); the switch exists
/// to measure the speed difference and to bisect. f32 models never use it.
/// </summary>
public static class Bf16Compute
{
    /// <summary>The user's choice: on unless ENGINE_CPU_BF16_DOT=0; settable in-process.</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("ENGINE_CPU_BF16_DOT") != "0";

    /// <summary>True when bf16-weight matmuls take the VDPBF16PS path now (enabled and the CPU supports it).</summary>
    public static bool Active => Enabled && Bf16Kernel.NativeSupported;

    /// <summary>Why the machine-code kernel is unavailable on this machine, or null.</summary>
    public static string? UnavailableReason => Bf16Kernel.UnavailableReason;
}
