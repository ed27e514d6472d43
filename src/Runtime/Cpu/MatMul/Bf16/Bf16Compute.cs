namespace Engine.Runtime.Cpu;

/// <summary>
/// Whether matmuls with bf16 weights on the CPU use the bf16 dot-product kernel (activations rounded to bf16, as on a
/// GPU) or widen the weights and keep f32 activations. On by default where the CPU has AVX512_BF16; set
/// ENGINE_CPU_BF16_DOT=0 (or <see cref="Enabled"/> = false) to keep f32 activations. f32 models never use it.
/// </summary>
public static class Bf16Compute
{
    /// <summary>The user's choice: ENGINE_CPU_BF16_DOT=0 turns it off; settable in-process.</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("ENGINE_CPU_BF16_DOT") != "0";

    /// <summary>True when bf16-weight matmuls take the VDPBF16PS path now (enabled and the CPU supports it).</summary>
    public static bool Active => Enabled && Bf16Kernel.NativeSupported;

    /// <summary>Why the machine-code kernel is unavailable on this machine, or null.</summary>
    public static string? UnavailableReason => Bf16Kernel.UnavailableReason;
}
