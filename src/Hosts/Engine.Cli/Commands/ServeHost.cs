using System.Net;
using System.Security.Cryptography;
using System.Text;
using Engine.Methods.Teachers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Engine.Cli.Commands;

/// <summary>Where and how `engine serve` listens.</summary>
public sealed record ServeSettings
{
    /// <summary>Address to bind: 127.0.0.1 (loopback only) unless the user opens it up (0.0.0.0, ::).</summary>
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>TCP port; 0 picks a free one (see <see cref="ServeHost.Address"/>).</summary>
    public int Port { get; init; } = 8000;
    public string? ServedModelName { get; init; }
    /// <summary>When set, /v1/* needs "Authorization: Bearer KEY".</summary>
    public string? ApiKey { get; init; }
    /// <summary>Seconds between throughput lines in the log (0 = none).</summary>
    public double LogIntervalSeconds { get; init; } = 10;
}

/// <summary>
/// The HTTP side of `engine serve`: ASP.NET Core's slim builder on Kestrel, routes bound to request delegates (no
/// reflection-based binding, so the trimmed single-file publish serves too), an optional API key, and a
/// throughput line every few seconds while requests run.
/// </summary>
public sealed class ServeHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Timer? _meter;

    public Uri Address { get; }
    public string ModelName { get; }

    private ServeHost(WebApplication app, Uri address, string name, Timer? meter)
    {
        _app = app; Address = address; ModelName = name; _meter = meter;
    }

    public static async Task<ServeHost> StartAsync(LocalModel model, ServeSettings settings, TextWriter log, CancellationToken ct = default)
    {
        var name = settings.ServedModelName ?? model.Name;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders(); // one line per request from the endpoints instead of the framework's
        var ip = settings.Host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(settings.Host, out var a) ? a
            : throw new ArgumentException($"--host must be an IP address (127.0.0.1, 0.0.0.0, ::1, ...), got '{settings.Host}'.");
        builder.WebHost.ConfigureKestrel(k => k.Listen(ip, settings.Port));
        var app = builder.Build();
        var endpoints = new ServeEndpoints(model, name, log);
        if (!string.IsNullOrEmpty(settings.ApiKey)) app.Use(RequireKey(Encoding.UTF8.GetBytes("Bearer " + settings.ApiKey)));
        app.MapPost("/v1/chat/completions", (RequestDelegate)endpoints.ChatAsync);
        app.MapPost("/v1/completions", (RequestDelegate)endpoints.CompletionsAsync);
        app.MapGet("/v1/models", (RequestDelegate)endpoints.ModelsAsync);
        app.MapGet("/health", (RequestDelegate)endpoints.HealthAsync);
        app.MapFallback((RequestDelegate)endpoints.NotFoundAsync);
        await app.StartAsync(ct);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var meter = settings.LogIntervalSeconds > 0 ? Throughput(model, log, TimeSpan.FromSeconds(settings.LogIntervalSeconds)) : null;
        return new ServeHost(app, new Uri(bound.Replace("[::]", "[::1]").Replace("0.0.0.0", "127.0.0.1")), name, meter);
    }

    /// <summary>Only /health is open without the key; the comparison takes the same time whatever the key sent.</summary>
    private static Func<HttpContext, RequestDelegate, Task> RequireKey(byte[] expected) => (ctx, next) =>
    {
        if (!ctx.Request.Path.StartsWithSegments("/v1")) return next(ctx);
        var sent = Encoding.UTF8.GetBytes(ctx.Request.Headers.Authorization.ToString());
        if (CryptographicOperations.FixedTimeEquals(sent, expected)) return next(ctx);
        return ServeEndpoints.WriteErrorAsync(ctx, new ApiException(401, "Missing or wrong API key: send 'Authorization: Bearer <key>'.", type: "authentication_error", code: "invalid_api_key"));
    };

    /// <summary>Generated and prompt tokens per second since the last line, printed only while there is work.</summary>
    private static Timer Throughput(LocalModel model, TextWriter log, TimeSpan every)
    {
        var last = model.Batcher.Stats;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        return new Timer(_ =>
        {
            var now = model.Batcher.Stats;
            double s = clock.Elapsed.TotalSeconds;
            clock.Restart();
            if (now.GeneratedTokens == last.GeneratedTokens && now.PromptTokens == last.PromptTokens && now.Running == 0) return;
            lock (log)
                log.WriteLine($"throughput: {(now.GeneratedTokens - last.GeneratedTokens) / s:F1} generated tok/s, {(now.PromptTokens - last.PromptTokens) / s:F1} prompt tok/s " +
                    $"over {s:F0} s; {(now.DecodeSteps - last.DecodeSteps) / s:F1} decode steps/s; running {now.Running}, waiting {now.Waiting}");
            last = now;
        }, null, every, every);
    }

    /// <summary>Run until <paramref name="ct"/> is cancelled (Ctrl+C).</summary>
    public async Task WaitAsync(CancellationToken ct)
    {
        try { await Task.Delay(Timeout.Infinite, ct); }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (_meter is not null) await _meter.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
