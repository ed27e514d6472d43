using System.CommandLine;
using Engine.Cli.Infrastructure;
using Engine.Methods.Teachers;
using Engine.Models.Generation;

namespace Engine.Cli.Commands;

/// <summary>`engine serve`: an OpenAI-compatible HTTP server with continuous batching over one local model.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model("Hugging Face model folder to serve (config.json, *.safetensors, tokenizer.json). Default: the embedded default model.");
        var adapter = new Option<string?>("--adapter") { Description = "PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors) attached to --model without merging." };
        var device = CliOptions.Device();
        var dtype = CliOptions.DType();
        var host = new Option<string>("--host") { Description = "Address to listen on. The default accepts connections from this machine only; 0.0.0.0 (or ::) opens the server to the network.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port (0 = any free port, printed at start).", DefaultValueFactory = _ => 8000 };
        var name = new Option<string?>("--served-model-name") { Description = "The model id clients send as \"model\" and /v1/models lists (default: the model folder's name, +ADAPTER-folder-name with --adapter)." };
        var apiKey = new Option<string?>("--api-key") { Description = "Require \"Authorization: Bearer KEY\" on /v1/* (default: ENGINE_API_KEY if set, else no key). /health stays open." };
        var maxBatch = new Option<int>("--max-batch") { Description = "Sequences decoded together (KV-cache slots); a request with n choices takes n.", DefaultValueFactory = _ => 16 };
        var maxQueue = new Option<int>("--max-queue") { Description = "Requests waiting for a slot; more get 429 with Retry-After.", DefaultValueFactory = _ => 64 };
        var maxLen = new Option<int?>("--max-model-len") { Description = "Most tokens per sequence, prompt + completion (default: max_position_embeddings capped at 4096). Longer requests get 400; chat requests without max_tokens may use all of it." };
        var prefill = new Option<int>("--prefill-budget") { Description = "Prompt tokens prefilled between two decode steps (at least one request), so long prompts do not stall running sequences.", DefaultValueFactory = _ => 512 };
        var logEvery = new Option<double>("--log-interval") { Description = "Seconds between throughput lines (generated and prompt tokens/s) on stderr while requests run (0 = off).", DefaultValueFactory = _ => 10 };
        var cmd = new Command("serve", "Serve a model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions, /v1/models, /health) "
            + "with continuous batching: concurrent requests share every decode step.")
            { model, adapter, device, dtype, host, port, name, apiKey, maxBatch, maxQueue, maxLen, prefill, logEvery };
        cmd.SetAction(async (r, ct) =>
        {
            var dir = ModelResolver.Resolve(r.GetValue(model));
            var dev = CliOptions.ParseDevice(r.GetValue(device)!);
            var bundleType = CliOptions.ParseDType(r.GetValue(dtype)!, dev);
            using var local = LocalModel.Load(dir, r.GetValue(adapter), dev, bundleType, new BatcherOptions
            {
                MaxBatch = r.GetValue(maxBatch), MaxQueue = r.GetValue(maxQueue), PrefillTokenBudget = r.GetValue(prefill),
                MaxModelLength = r.GetValue(maxLen) ?? 0, // 0: the model's own limit
            });
            var options = local.Batcher.Options;
            var settings = new ServeSettings
            {
                Host = r.GetValue(host)!, Port = r.GetValue(port), ServedModelName = r.GetValue(name),
                ApiKey = r.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("ENGINE_API_KEY"), LogIntervalSeconds = r.GetValue(logEvery),
            };
            await using var server = await ServeHost.StartAsync(local, settings, Console.Error, ct);
            Console.Error.WriteLine($"serving '{server.ModelName}' ({local.Bundle.Model.ParameterCount:N0} parameters, {dev}) at {server.Address} "
                + $"(max batch {options.MaxBatch}, queue {options.MaxQueue}, max length {options.MaxModelLength}{(settings.ApiKey is null ? "" : ", API key required")}); Ctrl+C stops");
            await server.WaitAsync(ct);
            return 0;
        });
        return cmd;
    }
}
