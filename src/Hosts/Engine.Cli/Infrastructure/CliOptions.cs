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

    /// <summary>--adapter for inference verbs: a PEFT LoRA folder run beside the base weights (not merged into them).</summary>
    public static Option<string?> Adapter() => new("--adapter")
    {
        Description = "PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors, e.g. from `engine sft --lora --save-adapter`) "
            + "to run on top of --model. It is attached, not merged: the base weights stay as they are.",
    };

    /// <summary>--shard i/n for record jobs.</summary>
    public static Option<string?> Shard() => new("--shard")
    {
        Description = "Process only shard i of n (\"i/n\"): the records whose 0-based index among the input's valid records, mod n, is i. "
            + "Writes <output stem>.shard-i-of-n<ext> beside --output; run every shard (e.g. as a Slurm array or Kubernetes Indexed Job), "
            + "then `engine merge --output <output>` for the output one whole run writes, byte for byte. Under a launcher (mpirun -np N, srun) "
            + "without --shard, each process takes its rank's shard (rank/N) and rank 0 merges when all are done.",
    };

    public static Option<bool> Resume() => new("--resume")
    {
        Description = "Continue an existing --output: keep its complete records and process the rest. Refused (with the differing options named) "
            + "if it was made with other options, model weights, adapter or input. With no existing output the run starts fresh.",
    };

    public static Option<bool> Overwrite() => new("--overwrite")
    {
        Description = "Replace an existing --output and start again. Without --resume or --overwrite an existing output is never touched: the run stops.",
    };

    public static Option<bool> SkipBadRecords() => new("--skip-bad-records")
    {
        Description = "Skip bad records — invalid JSON, not an object, a missing or mistyped field, an empty completion, a record this verb cannot use — "
            + "reporting each as file:line: why and the count at the end, instead of stopping at the first. Skipped records get no index, "
            + "so shards count records the same way. Without it the run stops at the first bad record, after writing every record before it.",
    };

    /// <summary>The weight dtype a --dtype value means on a device.</summary>
    public static Runtime.DType ParseDType(string s, Device device) => ComputePrecisions.Parse(s, device).WeightDType();
}
