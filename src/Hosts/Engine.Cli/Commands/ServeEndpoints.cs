using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Engine.Methods.Teachers;
using Engine.Models.Generation;
using Microsoft.AspNetCore.Http;

namespace Engine.Cli.Commands;

/// <summary>
/// The OpenAI-compatible routes of `engine serve`. A request's prompts go to the shared <see cref="ContinuousBatcher"/>
/// (refused with 429 when its queue is full); the answer is collected whole or streamed as server-sent events. The
/// request's abort token reaches the batcher, so a client that disconnects frees its slots at the next decode step.
/// </summary>
public sealed class ServeEndpoints(LocalModel model, string servedName, TextWriter log)
{
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public Task ChatAsync(HttpContext ctx) => GenerateAsync(ctx, chat: true);

    public Task CompletionsAsync(HttpContext ctx) => GenerateAsync(ctx, chat: false);

    public Task ModelsAsync(HttpContext ctx) => WriteJsonAsync(ctx, 200, new ApiModelList("list",
        [new ApiModelCard(servedName, "model", _created, "engine", model.Batcher.Options.MaxModelLength)]), ServeJson.Default.ApiModelList);

    public Task HealthAsync(HttpContext ctx)
    {
        var s = model.Batcher.Stats;
        return WriteJsonAsync(ctx, 200, new ApiHealth("ok", s.Running, s.Waiting, s.GeneratedTokens, s.PromptTokens), ServeJson.Default.ApiHealth);
    }

    public Task NotFoundAsync(HttpContext ctx) =>
        WriteErrorAsync(ctx, new ApiException(404, $"No route {ctx.Request.Method} {ctx.Request.Path}; this server has /v1/chat/completions, /v1/completions, /v1/models and /health.", code: "not_found"));

    private async Task GenerateAsync(HttpContext ctx, bool chat)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            JsonDocument doc;
            try { doc = await JsonDocument.ParseAsync(ctx.Request.Body, default, ctx.RequestAborted); }
            catch (JsonException e) { throw new ApiException(400, $"The body is not valid JSON: {e.Message}"); }
            ServeRequest req;
            using (doc) req = chat ? ServeRequests.Chat(doc.RootElement, model, servedName) : ServeRequests.Completion(doc.RootElement, model, servedName);

            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
            var readers = new List<ChannelReader<GenerationChunk>>();
            foreach (var prompt in req.Prompts)
            {
                if (!model.Batcher.TryEnqueue(new GenerationRequest(prompt, req.Sampling) { N = req.N, TopLogProbs = req.TopLogProbs }, out var reader, cts.Token))
                {
                    cts.Cancel(); // the prompts of this request already queued leave too
                    ctx.Response.Headers.RetryAfter = "1";
                    throw new ApiException(429, $"The server is busy: {model.Batcher.Stats.Waiting} requests are waiting (--max-queue {model.Batcher.Options.MaxQueue}). Retry later.",
                        type: "server_busy", code: "queue_full");
                }
                readers.Add(reader);
            }
            var id = (chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N")[..24];
            var merged = Merge(readers, req.N, cts.Token);
            int completion = req.Stream
                ? await StreamAsync(ctx, chat, id, req, merged)
                : await WholeAsync(ctx, chat, id, req, merged);
            Log(ctx, 200, req.Prompts.Sum(p => p.Length), completion, clock.Elapsed);
        }
        catch (ApiException e)
        {
            if (!ctx.Response.HasStarted) await WriteErrorAsync(ctx, e);
            Log(ctx, e.Status, 0, 0, clock.Elapsed, e.Message);
        }
        catch (ArgumentException e) when (!ctx.Response.HasStarted)
        {
            // The batcher's own checks (token ids outside the vocabulary, limits): the request, not the server, is wrong.
            await WriteErrorAsync(ctx, new ApiException(400, e.Message));
            Log(ctx, 400, 0, 0, clock.Elapsed, e.Message);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            Log(ctx, 499, 0, 0, clock.Elapsed, "client disconnected");
        }
        catch (Exception e) when (!ctx.Response.HasStarted)
        {
            await WriteErrorAsync(ctx, new ApiException(500, e.Message, type: "server_error"));
            Log(ctx, 500, 0, 0, clock.Elapsed, e.Message);
        }
    }

    private void Log(HttpContext ctx, int status, int prompt, int completion, TimeSpan t, string? note = null)
    {
        double s = Math.Max(t.TotalSeconds, 1e-9);
        lock (log)
            log.WriteLine($"{ctx.Request.Method} {ctx.Request.Path} {status}: {prompt} prompt + {completion} completion tokens in {s:F2} s ({completion / s:F1} tok/s){(note is null ? "" : " - " + note)}");
    }

    /// <summary>Every choice of every prompt as one stream; prompt i's choice j is index i·n + j, as the API numbers them.</summary>
    private static ChannelReader<(int Index, GenerationChunk Chunk)> Merge(List<ChannelReader<GenerationChunk>> readers, int n, CancellationToken ct)
    {
        var merged = Channel.CreateUnbounded<(int, GenerationChunk)>();
        var pumps = readers.Select((r, i) => Task.Run(async () =>
        {
            await foreach (var c in r.ReadAllAsync(ct)) await merged.Writer.WriteAsync((i * n + c.Choice, c), ct);
        }, ct)).ToArray();
        _ = Task.WhenAll(pumps).ContinueWith(t => merged.Writer.TryComplete(t.Exception?.InnerException ?? (t.IsCanceled ? new OperationCanceledException(ct) : null)), TaskScheduler.Default);
        return merged.Reader;
    }

    private async Task<int> WholeAsync(HttpContext ctx, bool chat, string id, ServeRequest req, ChannelReader<(int Index, GenerationChunk Chunk)> chunks)
    {
        int count = req.Prompts.Count * req.N;
        var text = Enumerable.Range(0, count).Select(_ => new StringBuilder()).ToArray();
        var tokens = Enumerable.Range(0, count).Select(_ => new List<TokenLogProb>()).ToArray();
        var finish = new string[count];
        await foreach (var (i, c) in chunks.ReadAllAsync(ctx.RequestAborted))
        {
            text[i].Append(c.Text);
            tokens[i].AddRange(c.Tokens);
            if (c.FinishReason is { } f) finish[i] = ApiFinish(f);
        }
        int completion = tokens.Sum(t => t.Count);
        var usage = Usage(req, completion);
        if (chat)
            await WriteJsonAsync(ctx, 200, new ApiChatCompletion(id, "chat.completion", Now, servedName,
                Enumerable.Range(0, count).Select(i => new ApiChatChoice(i, new ApiChatMessage("assistant", text[i].ToString()),
                    req.LogProbs ? ChatLogProbs(tokens[i], req) : null, finish[i])).ToArray(), usage), ServeJson.Default.ApiChatCompletion);
        else
            await WriteJsonAsync(ctx, 200, new ApiCompletion(id, "text_completion", Now, servedName,
                Enumerable.Range(0, count).Select(i => new ApiCompletionChoice(i, text[i].ToString(),
                    req.LogProbs ? CompletionLogProbs(tokens[i], req, 0) : null, finish[i])).ToArray(), usage), ServeJson.Default.ApiCompletion);
        return completion;
    }

    private async Task<int> StreamAsync(HttpContext ctx, bool chat, string id, ServeRequest req, ChannelReader<(int Index, GenerationChunk Chunk)> chunks)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["X-Accel-Buffering"] = "no";
        int count = req.Prompts.Count * req.N, completion = 0;
        long created = Now;
        var offsets = new int[count];
        if (chat)
        {
            await SendAsync(ctx, new ApiChatChunk(id, "chat.completion.chunk", created, servedName,
                Enumerable.Range(0, count).Select(i => new ApiChatChunkChoice(i, new ApiChatDelta("assistant", ""), null, null)).ToArray(), null), ServeJson.Default.ApiChatChunk);
        }
        try
        {
            await foreach (var (i, c) in chunks.ReadAllAsync(ctx.RequestAborted))
            {
                completion += c.Tokens.Count;
                var finish = c.FinishReason is { } f ? ApiFinish(f) : null;
                if (chat)
                    await SendAsync(ctx, new ApiChatChunk(id, "chat.completion.chunk", created, servedName,
                        [new ApiChatChunkChoice(i, new ApiChatDelta(null, c.Text), req.LogProbs && c.Tokens.Count > 0 ? ChatLogProbs(c.Tokens, req) : null, finish)], null), ServeJson.Default.ApiChatChunk);
                else
                    await SendAsync(ctx, new ApiCompletion(id, "text_completion", created, servedName,
                        [new ApiCompletionChoice(i, c.Text, req.LogProbs ? CompletionLogProbs(c.Tokens, req, offsets[i]) : null, finish)], null), ServeJson.Default.ApiCompletion);
                offsets[i] += c.Text.Length;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Headers are gone: the error travels as an event, as OpenAI-compatible servers do mid-stream.
            await SendAsync(ctx, new ApiError(new ApiErrorDetail(e.Message, "server_error", null, null)), ServeJson.Default.ApiError);
        }
        if (req.IncludeUsage)
        {
            var usage = Usage(req, completion);
            if (chat) await SendAsync(ctx, new ApiChatChunk(id, "chat.completion.chunk", created, servedName, [], usage), ServeJson.Default.ApiChatChunk);
            else await SendAsync(ctx, new ApiCompletion(id, "text_completion", created, servedName, [], usage), ServeJson.Default.ApiCompletion);
        }
        await ctx.Response.WriteAsync("data: [DONE]\n\n", ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        return completion;
    }

    private static async Task SendAsync<T>(HttpContext ctx, T value, JsonTypeInfo<T> info)
    {
        var body = ctx.Response.Body;
        await body.WriteAsync("data: "u8.ToArray(), ctx.RequestAborted);
        await body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(value, info), ctx.RequestAborted);
        await body.WriteAsync("\n\n"u8.ToArray(), ctx.RequestAborted);
        await body.FlushAsync(ctx.RequestAborted);
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>OpenAI's finish reasons: end of sequence and stop strings are both "stop".</summary>
    private static string ApiFinish(string reason) => reason == "length" ? "length" : "stop";

    private static ApiUsage Usage(ServeRequest req, int completion)
    {
        int prompt = req.Prompts.Sum(p => p.Length);
        return new ApiUsage(prompt, completion, prompt + completion);
    }

    private string TokenText(int id, ServeRequest req) =>
        req.TokensAsIds ? $"token_id:{id}" : model.Bundle.Tokenizer.Decode([id]);

    private static int[] Bytes(string s) => Encoding.UTF8.GetBytes(s).Select(b => (int)b).ToArray();

    private ApiChatLogProbs ChatLogProbs(IEnumerable<TokenLogProb> tokens, ServeRequest req) => new(tokens.Select(t =>
    {
        var s = TokenText(t.TokenId, req);
        return new ApiTokenLogProb(s, t.LogProb, Bytes(s), t.Top.Select(a => { var x = TokenText(a.TokenId, req); return new ApiTopLogProb(x, a.LogProb, Bytes(x)); }).ToArray());
    }).ToArray());

    private ApiCompletionLogProbs CompletionLogProbs(IReadOnlyList<TokenLogProb> tokens, ServeRequest req, int offset)
    {
        var strings = tokens.Select(t => TokenText(t.TokenId, req)).ToArray();
        var offsets = new int[strings.Length];
        for (int i = 0; i < strings.Length; i++) { offsets[i] = offset; offset += strings[i].Length; }
        var top = tokens.Select(t =>
        {
            var d = new Dictionary<string, double>();
            foreach (var (id, lp) in t.Top) d.TryAdd(TokenText(id, req), lp);
            return d;
        }).ToArray();
        return new ApiCompletionLogProbs(strings, tokens.Select(t => t.LogProb).ToArray(), top, offsets);
    }

    public static Task WriteErrorAsync(HttpContext ctx, ApiException e) =>
        WriteJsonAsync(ctx, e.Status, new ApiError(new ApiErrorDetail(e.Message, e.Type, e.Param, e.Code)), ServeJson.Default.ApiError);

    private static async Task WriteJsonAsync<T>(HttpContext ctx, int status, T value, JsonTypeInfo<T> info)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(ctx.Response.Body, value, info, ctx.RequestAborted);
    }
}
