namespace Engine.Runtime;

/// <summary>
/// The precision policy of a run. F32: every op in f32. BF16: f32 master weights, optimizer state, norms, softmax,
/// losses and residual stream; matmul operands rounded to bf16 with f32 accumulation (<see cref="Autocast"/>).
/// </summary>
public enum ComputePrecision { F32, BF16 }

public static class ComputePrecisions
{
    /// <summary>The default for a device: bf16 on CUDA (tensor cores), f32 on the CPU (no bf16 arithmetic to gain from).</summary>
    public static ComputePrecision DefaultFor(Device device) => device.IsCpu ? ComputePrecision.F32 : ComputePrecision.BF16;

    /// <summary>"f32"/"fp32"/"float32", "bf16"/"bfloat16", or "auto" (the device's default).</summary>
    public static ComputePrecision Parse(string text, Device device) => text.Trim().ToLowerInvariant() switch
    {
        "auto" or "" => DefaultFor(device),
        "f32" or "fp32" or "float32" or "float" => ComputePrecision.F32,
        "bf16" or "bfloat16" => ComputePrecision.BF16,
        _ => throw new ArgumentException($"Unknown precision '{text}'. Known: auto, f32, bf16."),
    };

    /// <summary>The dtype weights are stored in for inference under this policy (bf16 halves memory; f32 masters for training).</summary>
    public static DType WeightDType(this ComputePrecision p) => p == ComputePrecision.BF16 ? DType.BF16 : DType.F32;
}
