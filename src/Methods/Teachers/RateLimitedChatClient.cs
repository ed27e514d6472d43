using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using Microsoft.Extensions.AI;

namespace Engine.Methods.Teachers;

/// <summary>
/// Bounds calls to a remote teacher: at most N in flight (a streaming call holds its permit until it ends) and, when
/// asked, at most R started per minute (a token bucket refilled one request every 60/R s). Callers over the limits
/// wait in order; nothing is refused.
/// </summary>
public sealed class RateLimitedChatClient : DelegatingChatClient
{
    private readonly ConcurrencyLimiter _inFlight;
    private readonly TokenBucketRateLimiter? _perMinute;

    public RateLimitedChatClient(IChatClient inner, int maxConcurrency, double requestsPerMinute) : base(inner)
    {
        _inFlight = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = maxConcurrency, QueueLimit = int.MaxValue, QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        if (requestsPerMinute > 0)
            _perMinute = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = 1, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromMinutes(1 / requestsPerMinute),
                QueueLimit = int.MaxValue, QueueProcessingOrder = QueueProcessingOrder.OldestFirst, AutoReplenishment = true,
            });
    }

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var permits = await AcquireAsync(cancellationToken).ConfigureAwait(false);
        return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var permits = await AcquireAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var u in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false)) yield return u;
    }

    private async Task<Permits> AcquireAsync(CancellationToken ct)
    {
        var flight = await _inFlight.AcquireAsync(1, ct).ConfigureAwait(false);
        if (!flight.IsAcquired) { flight.Dispose(); throw new InvalidOperationException("Teacher concurrency limiter refused a request."); }
        if (_perMinute is null) return new Permits(flight, null);
        try { return new Permits(flight, await _perMinute.AcquireAsync(1, ct).ConfigureAwait(false)); }
        catch { flight.Dispose(); throw; }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { _inFlight.Dispose(); _perMinute?.Dispose(); }
        base.Dispose(disposing);
    }

    private sealed class Permits(RateLimitLease flight, RateLimitLease? rate) : IDisposable
    {
        public void Dispose() { rate?.Dispose(); flight.Dispose(); }
    }
}
