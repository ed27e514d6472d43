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
}
