namespace Engine.Runtime.Cpu;

/// <summary>
/// Whether matmuls with bf16 weights on the CPU use the bf16 dot-product kernel (activations rounded to bf16, as on a
/// GPU) or widen the weights and keep f32 activations. Off by default for now (ENGINE_CPU_BF16_DOT=1 or
/// <see cref="Enabled"/> = true turns it on where the CPU has AVX512_BF16): with it on, the qwen2_yarn bf16 fixture's
/// CPU logits move 1.2e-3 (relative) from the emulated CUDA ones, over the 1e-4 that test allows, not yet explained.
/// f32 models never use it.
/// </summary>
public static class Bf16Compute
{
    /// <summary>The user's choice: ENGINE_CPU_BF16_DOT=1 turns it on; settable in-process.</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("ENGINE_CPU_BF16_DOT") == "1";

    /// <summary>True when bf16-weight matmuls take the VDPBF16PS path now (enabled and the CPU supports it).</summary>
    public static bool Active => Enabled && Bf16Kernel.NativeSupported;

    /// <summary>Why the machine-code kernel is unavailable on this machine, or null.</summary>
    public static string? UnavailableReason => Bf16Kernel.UnavailableReason;
}
