using System.CommandLine;
using Engine.Methods.Teachers;
using Microsoft.Extensions.AI;

namespace Engine.Cli.Infrastructure;

/// <summary>
/// --teacher and its limits, shared by every verb that calls a strong model, documented once. A verb adds them with
/// <see cref="AddTo"/> and gets its client with <see cref="Build"/>.
/// </summary>
public sealed class TeacherCliOptions
{
    public Option<string> Teacher { get; } = new("--teacher")
    {
        Description = "The teacher model: local (the embedded default model), local:DIR (a Hugging Face model folder, run in process), "
            + "local:DIR+adapter=ADAPTER_DIR (with a PEFT LoRA adapter attached), or openai:BASE_URL#MODEL for any OpenAI-compatible endpoint "
            + "(vLLM, llama.cpp server, engine serve, a hosted API; e.g. openai:http://127.0.0.1:8000/v1#my-model).",
        DefaultValueFactory = _ => "local",
    };
    public Option<string?> Cache { get; } = new("--teacher-cache") { Description = "Folder caching teacher answers by (teacher, messages, options), so a re-run asks nothing twice (default: no cache)." };
    public Option<int> Concurrency { get; } = new("--teacher-concurrency") { Description = "Remote teacher requests in flight at once.", DefaultValueFactory = _ => 8 };
    public Option<double> RequestsPerMinute { get; } = new("--teacher-rpm") { Description = "Remote teacher requests started per minute (0 = no limit).", DefaultValueFactory = _ => 0 };
    public Option<double> Timeout { get; } = new("--teacher-timeout") { Description = "Seconds one remote attempt may take before it is retried.", DefaultValueFactory = _ => 120 };
    public Option<int> Retries { get; } = new("--teacher-retries") { Description = "Retries of a remote call after 408/429/5xx or a network error, with exponential backoff from 1 s (Retry-After honoured).", DefaultValueFactory = _ => 4 };
    public Option<string> KeyVariable { get; } = new("--teacher-key-env") { Description = "Environment variable holding the remote teacher's API key (unset: no key is sent).", DefaultValueFactory = _ => "OPENAI_API_KEY" };

    public IEnumerable<Option> All => [Teacher, Cache, Concurrency, RequestsPerMinute, Timeout, Retries, KeyVariable];

    public void AddTo(Command cmd) { foreach (var o in All) cmd.Options.Add(o); }

    /// <summary>The teacher client; a local teacher runs on <paramref name="device"/> in <paramref name="dtype"/> (a --dtype value).</summary>
    public IChatClient Build(ParseResult r, string device = "cpu", string dtype = "auto") => BuildFor(r, r.GetValue(Teacher)!, device, dtype);

    /// <summary>A client for another spec (e.g. a judge's) with this verb's cache, limits and retries.</summary>
    public IChatClient BuildFor(ParseResult r, string teacherSpec, string device = "cpu", string dtype = "auto")
    {
        var spec = TeacherSpec.Parse(teacherSpec);
        var dev = CliOptions.ParseDevice(device);
        var options = new TeacherOptions
        {
            CacheDirectory = r.GetValue(Cache),
            MaxConcurrency = r.GetValue(Concurrency),
            RequestsPerMinute = r.GetValue(RequestsPerMinute),
            Timeout = TimeSpan.FromSeconds(r.GetValue(Timeout)),
            MaxRetries = r.GetValue(Retries),
            ApiKeyVariable = r.GetValue(KeyVariable)!,
            Device = dev,
            DType = CliOptions.ParseDType(dtype, dev),
        };
        if (spec.Kind == TeacherKind.Local && spec.ModelDirectory is null)
            spec = spec with { ModelDirectory = ModelResolver.Resolve(null) }; // builds the default model with progress on stderr
        return Methods.Teachers.Teacher.Create(spec, options);
    }
}
