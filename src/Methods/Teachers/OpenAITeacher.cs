using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;

namespace Engine.Methods.Teachers;

/// <summary>
/// A remote teacher: any OpenAI-compatible endpoint through the official OpenAI .NET client and
/// Microsoft.Extensions.AI.OpenAI. The client's pipeline does the HTTP, the per-attempt timeout and the retries
/// (408/429/5xx and network errors, see <see cref="BackoffRetryPolicy"/>).
/// </summary>
public static class OpenAITeacher
{
    public static IChatClient Create(Uri baseUrl, string model, TeacherOptions options)
    {
        var key = Environment.GetEnvironmentVariable(options.ApiKeyVariable);
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = baseUrl,
            NetworkTimeout = options.Timeout,
            RetryPolicy = new BackoffRetryPolicy(options.MaxRetries, options.RetryDelay),
        };
        if (options.HttpHandler is { } h) clientOptions.Transport = new HttpClientPipelineTransport(new HttpClient(h, disposeHandler: false));
        // Local servers (vLLM, llama.cpp, engine serve) take any key; the client insists on one.
        return new ChatClient(model, new ApiKeyCredential(string.IsNullOrEmpty(key) ? "EMPTY" : key), clientOptions).AsIChatClient();
    }
}

/// <summary>
/// The client library's retry decision (retry 408, 429, 500, 502, 503, 504 and network failures) with our backoff:
/// the server's Retry-After when it sends one (capped at a minute), else first delay × 2^(try−1) with ±20% jitter.
/// </summary>
public sealed class BackoffRetryPolicy(int maxRetries, TimeSpan firstDelay) : ClientRetryPolicy(maxRetries)
{
    protected override TimeSpan GetNextDelay(PipelineMessage message, int tryCount)
    {
        if (message.Response?.Headers.TryGetValue("Retry-After", out var v) == true
            && double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
            return TimeSpan.FromSeconds(Math.Min(seconds, 60));
        double jitter = 0.8 + 0.4 * Random.Shared.NextDouble();
        return TimeSpan.FromTicks((long)(firstDelay.Ticks * Math.Pow(2, Math.Max(0, tryCount - 1)) * jitter));
    }
}
