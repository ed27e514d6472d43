using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Engine.Cli.Infrastructure;
using Engine.Methods.Teachers;
using Engine.Models.Generation;

namespace Engine.Cli.Commands;

/// <summary>
/// `engine bench serve`: total completion tokens/s of `engine serve` under 1, 4, 16, ... concurrent clients, and the
/// ratio of N concurrent requests to the same N requests one after another (what continuous batching buys). Starts a
/// server in process unless --url names a running one. Every request asks /v1/completions for exactly --max-tokens
/// tokens (ignore_eos), so each concurrency level decodes the same work.
/// </summary>
public static class ServeBenchCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model("Model folder to serve (default: the embedded default model). Ignored with --url.");
        var device = CliOptions.Device();
        var dtype = CliOptions.DType();
        var url = new Option<string?>("--url") { Description = "Benchmark a running OpenAI-compatible server (base URL, e.g. http://127.0.0.1:8000) instead of starting one in process." };
        var name = new Option<string?>("--served-model-name") { Description = "The \"model\" sent to --url (default: the first of its /v1/models)." };
        var clients = new Option<string>("--clients") { Description = "Comma-separated concurrency levels; the largest is also run sequentially for the ratio.", DefaultValueFactory = _ => "1,4,16" };
        var requests = new Option<int>("--requests") { Description = "Requests per client at each concurrency level.", DefaultValueFactory = _ => 2 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Completion tokens per request (end-of-sequence ignored, so every request decodes exactly this many).", DefaultValueFactory = _ => 32 };
        var cmd = new Command("serve", "Completion tokens/s of engine serve at several client concurrencies, and concurrent/sequential throughput ratio (a Markdown table on stdout).")
            { model, device, dtype, url, name, clients, requests, maxTokens };
        cmd.SetAction(async (r, ct) =>
        {
            var levels = r.GetValue(clients)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
            if (levels.Length == 0 || levels.Any(l => l < 1) || r.GetValue(requests) < 1 || r.GetValue(maxTokens) < 1)
                throw new ArgumentException("--clients needs positive integers; --requests and --max-tokens must be ≥ 1.");
            int top = levels.Max();
            LocalModel? local = null;
            ServeHost? host = null;
            try
            {
                Uri baseUrl;
                string served;
                string what;
                if (r.GetValue(url) is { } u)
                {
                    baseUrl = new Uri(u.TrimEnd('/') + "/");
                    served = r.GetValue(name) ?? "";
                    what = u;
                }
                else
                {
                    var dir = ModelResolver.Resolve(r.GetValue(model));
                    var dev = CliOptions.ParseDevice(r.GetValue(device)!);
                    local = LocalModel.Load(dir, null, dev, CliOptions.ParseDType(r.GetValue(dtype)!, dev),
                        new BatcherOptions { MaxBatch = top, MaxQueue = top * r.GetValue(requests), MaxModelLength = 0 });
                    host = await ServeHost.StartAsync(local, new ServeSettings { Port = 0, LogIntervalSeconds = 0 }, TextWriter.Null, ct);
                    baseUrl = host.Address;
                    served = host.ModelName;
                    what = $"{served} ({local.Bundle.Model.ParameterCount:N0} parameters, {dev}, {local.Bundle.Model.DType}), in-process server, max batch {top}";
                }
                using var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(30) };
                if (served == "") served = JsonNode.Parse(await http.GetStringAsync("v1/models", ct))!["data"]![0]!["id"]!.GetValue<string>();
                var bench = new Bench(http, served, r.GetValue(maxTokens));
                // Warm up with one untimed pass of the top level, concurrent and sequential: tiered JIT, cache growth, allocations.
                await bench.RunAsync(top, 1, ct);
                await bench.RunAsync(1, Math.Min(top, 4), ct);
                Console.WriteLine($"engine bench serve: {what}; {r.GetValue(maxTokens)} completion tokens per request, {Environment.ProcessorCount} logical CPUs");
                Console.WriteLine();
                // CPU seconds of this process: on a shared machine, tokens per CPU second show the work saved even when
                // other processes take the cores (with --url the server runs elsewhere and the column means little).
                Console.WriteLine("| clients | requests | completion tokens | seconds | tokens/s | CPU s | tokens/CPU s |");
                Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
                double concurrentTop = 0;
                foreach (var c in levels)
                {
                    var (tokens, secs, cpu) = await bench.RunAsync(c, r.GetValue(requests), ct);
                    if (c == top) concurrentTop = tokens / secs;
                    Console.WriteLine($"| {c} | {c * r.GetValue(requests)} | {tokens} | {secs:F2} | {tokens / secs:F1} | {cpu:F2} | {tokens / cpu:F1} |");
                }
                // The same number of requests as the top level's clients, one after another.
                var (seqTokens, seqSecs, seqCpu) = await bench.RunAsync(1, top, ct);
                Console.WriteLine($"| 1 (sequential) | {top} | {seqTokens} | {seqSecs:F2} | {seqTokens / seqSecs:F1} | {seqCpu:F2} | {seqTokens / seqCpu:F1} |");
                Console.WriteLine();
                Console.WriteLine($"ratio {top} concurrent / {top} sequential: {concurrentTop / (seqTokens / seqSecs):F2}");
                return 0;
            }
            finally
            {
                if (host is not null) await host.DisposeAsync();
                local?.Dispose();
            }
        });
        return cmd;
    }

    private sealed class Bench(HttpClient http, string model, int maxTokens)
    {
        /// <summary>c clients, each sending n requests one after another; total completion tokens, wall and CPU seconds.</summary>
        public async Task<(long tokens, double seconds, double cpuSeconds)> RunAsync(int c, int n, CancellationToken ct)
        {
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var counts = await Task.WhenAll(Enumerable.Range(0, c).Select(async client =>
            {
                long sum = 0;
                for (int i = 0; i < n; i++) sum += await RequestAsync(client * 1000 + i, ct);
                return sum;
            }));
            return (counts.Sum(), clock.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds);
        }

        public async Task<int> RequestAsync(int i, CancellationToken ct)
        {
            var body = new JsonObject
            {
                ["model"] = model, ["prompt"] = $"Calculate. {i % 97} + {i % 89}", ["max_tokens"] = maxTokens,
                ["temperature"] = 0, ["ignore_eos"] = true,
            }.ToJsonString();
            using var content = new StringContent(body, Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var resp = await http.PostAsync("v1/completions", content, ct);
            var text = await resp.Content.ReadAsStringAsync(ct);
            if (!resp.IsSuccessStatusCode) throw new InvalidOperationException($"request failed with {(int)resp.StatusCode}: {text}");
            return JsonNode.Parse(text)!["usage"]!["completion_tokens"]!.GetValue<int>();
        }
    }
}
