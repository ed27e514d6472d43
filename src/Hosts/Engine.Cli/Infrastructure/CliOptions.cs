using System.CommandLine;
using Engine.Runtime;

namespace Engine.Cli.Infrastructure;

/// <summary>Options shared by many verbs, so they are spelled and documented the same everywhere.</summary>
public static class CliOptions
{
    public static Option<string> Device() => new("--device")
    {
        Description = "Where to run: cpu, cuda or cuda:N.",
        DefaultValueFactory = _ => "cpu",
    };

    public static Option<string?> Model(string description = "Hugging Face model folder (config.json, *.safetensors, tokenizer.json). Default: the embedded default model, built on first use.") =>
        new("--model") { Description = description };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "CPU threads (default: ENGINE_THREADS or all cores).",
        DefaultValueFactory = _ => CpuThreads.Count,
    };

    public static Device ParseDevice(string s) => Runtime.Device.Parse(s);

    /// <summary>--dtype for inference verbs: how the weights are held and what the matmuls compute in.</summary>
    public static Option<string> DType() => new("--dtype")
    {
        Description = "Inference precision: auto (bf16 on cuda, f32 on cpu), f32, or bf16. bf16 keeps the weights in bf16 "
            + "(half the memory; bf16 safetensors are used in place, without a copy, on the cpu) and runs every matmul on bf16 operands "
            + "with f32 accumulation; norms, softmax, attention, the residual stream and the KV cache stay f32.",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>The weight dtype a --dtype value means on a device.</summary>
    public static Runtime.DType ParseDType(string s, Device device) => ComputePrecisions.Parse(s, device).WeightDType();
}
