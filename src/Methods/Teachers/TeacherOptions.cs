using Engine.Models.Generation;
using Engine.Runtime;

namespace Engine.Methods.Teachers;

/// <summary>How a teacher is called: the disk cache, limits for remote endpoints, and where a local model runs.</summary>
public sealed record TeacherOptions
{
    /// <summary>Folder of cached answers keyed by (teacher, messages, options): a re-run asks nothing twice. Null = no cache.</summary>
    public string? CacheDirectory { get; init; }
    /// <summary>Remote requests in flight at once.</summary>
    public int MaxConcurrency { get; init; } = 8;
    /// <summary>Remote requests started per minute (0 = no limit).</summary>
    public double RequestsPerMinute { get; init; }
    /// <summary>Limit of one remote attempt (network timeout).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);
    /// <summary>Retries of a remote call after 408/429/5xx or a network error, with exponential backoff (Retry-After honoured).</summary>
    public int MaxRetries { get; init; } = 4;
    /// <summary>The first backoff delay; each retry doubles it (±20% jitter).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Environment variable holding the API key of a remote endpoint (unset: none is sent, as local servers expect).</summary>
    public string ApiKeyVariable { get; init; } = "OPENAI_API_KEY";
    /// <summary>HTTP handler for remote calls (a proxy, a test double); null = the default.</summary>
    public HttpMessageHandler? HttpHandler { get; init; }
    /// <summary>Where a local teacher runs and in what precision.</summary>
    public Device? Device { get; init; }
    public DType DType { get; init; } = DType.F32;
    /// <summary>Batching limits of a local teacher (default: <see cref="BatcherOptions"/> with the model's maximum length).</summary>
    public BatcherOptions? Batching { get; init; }

    public void Validate()
    {
        if (MaxConcurrency < 1) throw new ArgumentException("MaxConcurrency must be ≥ 1.");
        if (RequestsPerMinute < 0) throw new ArgumentException("RequestsPerMinute must be ≥ 0 (0 = no limit).");
        if (Timeout <= TimeSpan.Zero) throw new ArgumentException("Timeout must be positive.");
        if (MaxRetries < 0) throw new ArgumentException("MaxRetries must be ≥ 0.");
    }
}
