using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Engine.Methods.Teachers;
using Engine.Models;
using Engine.Models.Generation;
using Engine.Models.Lora;
using Engine.Runtime;
using Microsoft.Extensions.AI;

namespace Engine.Tests.Serving;

/// <summary>The teacher layer: spec parsing, JSON extraction and retry, the disk cache, limits, remote retries, local answers.</summary>
public class TeacherTests(ServeFixture f) : IClassFixture<ServeFixture>
{
    [Fact]
    public void SpecsParseAndBadOnesSayWhatIsExpected()
    {
        Assert.Equal(new TeacherSpec(TeacherKind.Local), TeacherSpec.Parse("local"));
        Assert.Equal(new TeacherSpec(TeacherKind.Local, "/m/qwen", "/a/lora"), TeacherSpec.Parse("local:/m/qwen+adapter=/a/lora"));
        var remote = TeacherSpec.Parse("openai:http://127.0.0.1:8000#my-model");
        Assert.Equal(new Uri("http://127.0.0.1:8000/v1"), remote.BaseUrl);
        Assert.Equal("my-model", remote.Model);
        Assert.Equal(new Uri("https://api.example.com/v1/"), TeacherSpec.Parse("openai:https://api.example.com/v1/#gpt").BaseUrl);
        Assert.Contains("name the model", Assert.Throws<FormatException>(() => TeacherSpec.Parse("openai:http://h:1/v1")).Message);
        Assert.Contains("not an http(s) URL", Assert.Throws<FormatException>(() => TeacherSpec.Parse("openai:ftp://h/v1#m")).Message);
        Assert.Contains("local:DIR+adapter=ADAPTER_DIR", Assert.Throws<FormatException>(() => TeacherSpec.Parse("gpt-4")).Message);
        Assert.Contains("adapter folder is empty", Assert.Throws<FormatException>(() => TeacherSpec.Parse("local:/m+adapter=")).Message);
    }

    [Theory]
    [InlineData("Sure! Here it is:\n```json\n{\"a\": [1, 2]}\n```\nAnything else?", "{\"a\":[1,2]}")]
    [InlineData("The answer is {\"text\": \"a } inside\", \"n\": {\"k\": 3}} as asked.", "{\"text\":\"a } inside\",\"n\":{\"k\":3}}")]
    [InlineData("labels: [\"x\", \"y\"] done", "[\"x\",\"y\"]")]
    [InlineData("{broken {\"ok\": true}", "{\"ok\":true}")]
    public void JsonIsFoundInProseAndFences(string answer, string json)
    {
        Assert.True(TeacherJson.TryExtract(answer, out var v, out _));
        Assert.Equal(json, v!.ToJsonString());
    }

    [Fact]
    public void TeacherCliOptionsBuildTheDescribedPipeline()
    {
        var options = new Engine.Cli.Infrastructure.TeacherCliOptions();
        var cmd = new System.CommandLine.Command("method");
        options.AddTo(cmd);
        var cache = Path.Combine(f.Root, "cli-cache-" + Guid.NewGuid().ToString("N"));
        using (var local = options.Build(cmd.Parse(["--teacher", "local:" + f.ModelDir, "--teacher-cache", cache])))
        {
            Assert.NotNull(local.GetService<LocalChatClient>());
            Assert.NotNull(local.GetService<DistributedCachingChatClient>());
            Assert.Null(local.GetService<RateLimitedChatClient>()); // limits are for remote endpoints
        }
        using (var remote = options.Build(cmd.Parse(["--teacher", "openai:http://127.0.0.1:9/v1#m", "--teacher-concurrency", "2"])))
        {
            Assert.NotNull(remote.GetService<RateLimitedChatClient>());
            Assert.Null(remote.GetService<DistributedCachingChatClient>()); // no --teacher-cache, no cache
        }
        Assert.Throws<FormatException>(() => options.Build(cmd.Parse(["--teacher", "gpt-4"])));
    }

    [Fact]
    public void AnswersWithoutJsonAreReported()
    {
        Assert.False(TeacherJson.TryExtract("I cannot help with that.", out _, out var e1));
        Assert.Contains("no JSON", e1);
        Assert.False(TeacherJson.TryExtract("{\"a\": 1", out _, out var e2));
        Assert.Contains("complete, valid", e2);
    }

    /// <summary>Answers from a script, recording what it was asked.</summary>
    private sealed class ScriptedClient(params string[] answers) : IChatClient
    {
        public List<List<ChatMessage>> Asked { get; } = [];
        public int InFlight, MaxInFlight;
        public TimeSpan Delay { get; init; }

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken ct = default)
        {
            int now = Interlocked.Increment(ref InFlight);
            lock (Asked) { MaxInFlight = Math.Max(MaxInFlight, now); Asked.Add(messages.ToList()); }
            try
            {
                await Task.Delay(Delay, ct);
                lock (Asked) return new ChatResponse(new ChatMessage(ChatRole.Assistant, answers[Math.Min(Asked.Count, answers.Length) - 1]));
            }
            finally { Interlocked.Decrement(ref InFlight); }
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken ct = default)
        {
            var r = await GetResponseAsync(messages, options, ct);
            yield return new ChatResponseUpdate(ChatRole.Assistant, r.Text);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;
        public void Dispose() { }
    }

    [Fact]
    public async Task JsonAnswerIsRetriedWithTheReasonAndGivesUpAfterTheBound()
    {
        var client = new ScriptedClient("I think it is positive.", "```json\n{\"label\": \"positive\"}\n```");
        var v = await client.AskJsonAsync("Label this review.", validate: n => n["label"] is null ? "missing 'label'" : null);
        Assert.Equal("positive", v["label"]!.GetValue<string>());
        Assert.Equal(2, client.Asked.Count);
        var second = client.Asked[1];
        Assert.Equal(ChatRole.Assistant, second[^2].Role);
        Assert.Contains("no JSON", second[^1].Text);

        var stubborn = new ScriptedClient("{\"wrong\": 1}");
        var e = await Assert.ThrowsAsync<TeacherAnswerException>(() => stubborn.AskJsonAsync("Label it.", validate: n => n["label"] is null ? "missing 'label'" : null, maxAttempts: 3));
        Assert.Equal(3, e.Answers.Count);
        Assert.Contains("missing 'label'", e.Message);
    }

    [Fact]
    public async Task RateLimiterBoundsRequestsInFlight()
    {
        var inner = new ScriptedClient("ok") { Delay = TimeSpan.FromMilliseconds(60) };
        using var limited = new RateLimitedChatClient(inner, maxConcurrency: 3, requestsPerMinute: 0);
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => limited.AskAsync($"q{i}")));
        Assert.Equal(10, inner.Asked.Count);
        Assert.Equal(3, inner.MaxInFlight);
    }

    [Fact]
    public async Task RequestsPerMinuteSpaceTheStarts()
    {
        var inner = new ScriptedClient("ok");
        using var limited = new RateLimitedChatClient(inner, maxConcurrency: 8, requestsPerMinute: 600); // one per 100 ms
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => limited.AskAsync($"q{i}")));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"4 starts at 600/min took {clock.ElapsedMilliseconds} ms");
    }

    /// <summary>An HTTP endpoint that answers from a list of (status, body) and counts attempts.</summary>
    private sealed class FakeEndpoint(params (HttpStatusCode Status, string Body, TimeSpan Delay)[] script) : HttpMessageHandler
    {
        public int Calls;
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var (status, body, delay) = script[Math.Min(Interlocked.Increment(ref Calls), script.Length) - 1];
            await Task.Delay(delay, ct);
            var r = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if ((int)status == 429) r.Headers.TryAddWithoutValidation("Retry-After", "0");
            return r;
        }
    }

    private static string Completion(string text) => new JsonObject
    {
        ["id"] = "c1", ["object"] = "chat.completion", ["created"] = 1, ["model"] = "m",
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text }, ["finish_reason"] = "stop" }),
        ["usage"] = new JsonObject { ["prompt_tokens"] = 3, ["completion_tokens"] = 2, ["total_tokens"] = 5 },
    }.ToJsonString();

    private const string Busy = "{\"error\": {\"message\": \"busy\", \"type\": \"server_busy\"}}";

    [Fact]
    public async Task RemoteTeacherRetries429And5xxThenAnswers()
    {
        var endpoint = new FakeEndpoint((HttpStatusCode.TooManyRequests, Busy, TimeSpan.Zero), (HttpStatusCode.BadGateway, Busy, TimeSpan.Zero), (HttpStatusCode.OK, Completion("bonjour"), TimeSpan.Zero));
        using var teacher = Teacher.Create(TeacherSpec.Parse("openai:http://127.0.0.1:9/v1#m"), new TeacherOptions { HttpHandler = endpoint, RetryDelay = TimeSpan.FromMilliseconds(5) });
        Assert.Equal("bonjour", await teacher.AskAsync("Translate: hello"));
        Assert.Equal(3, endpoint.Calls);
    }

    [Fact]
    public async Task RemoteTeacherDoesNotRetryABadRequestAndTimesOutSlowAttempts()
    {
        var bad = new FakeEndpoint((HttpStatusCode.BadRequest, "{\"error\": {\"message\": \"bad field\", \"type\": \"invalid_request_error\"}}", TimeSpan.Zero));
        using (var teacher = Teacher.Create(TeacherSpec.Parse("openai:http://127.0.0.1:9/v1#m"), new TeacherOptions { HttpHandler = bad, RetryDelay = TimeSpan.FromMilliseconds(5) }))
            await Assert.ThrowsAnyAsync<Exception>(() => teacher.AskAsync("x"));
        Assert.Equal(1, bad.Calls);

        var slow = new FakeEndpoint((HttpStatusCode.OK, Completion("late"), TimeSpan.FromSeconds(30)));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var teacher = Teacher.Create(TeacherSpec.Parse("openai:http://127.0.0.1:9/v1#m"),
                   new TeacherOptions { HttpHandler = slow, Timeout = TimeSpan.FromMilliseconds(200), MaxRetries = 1, RetryDelay = TimeSpan.FromMilliseconds(5) }))
            await Assert.ThrowsAnyAsync<Exception>(() => teacher.AskAsync("x"));
        Assert.Equal(2, slow.Calls);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"two 200 ms attempts took {clock.Elapsed}");
    }

    [Fact]
    public async Task LocalTeacherAnswersLikeTextGeneratorAndItsChoicesAreSeeds()
    {
        using var teacher = Teacher.Create(TeacherSpec.Parse("local:" + f.ModelDir));
        var gen = new TextGenerator(f.Bundle.Model, f.Bundle.Tokenizer);
        var ids = f.ChatPromptIds("Calculate. 3 + 4");
        var greedy = new SamplingOptions { MaxNewTokens = 12, EosTokenIds = f.Bundle.EosTokenIds };
        Assert.Equal(gen.Generate([ids], greedy)[0].Text, await teacher.AskAsync("Calculate. 3 + 4", options: new ChatOptions { Temperature = 0, MaxOutputTokens = 12 }));

        var many = await teacher.AskManyAsync("Calculate. 3 + 4", 3, options: new ChatOptions { Temperature = 1, MaxOutputTokens = 12, Seed = 40 });
        for (int j = 0; j < 3; j++) Assert.Equal(gen.Generate([ids], greedy with { Temperature = 1, Seed = (ulong)(40 + j) })[0].Text, many[j]);
        Assert.True(many.Distinct().Count() > 1, "three seeds should not all give the same answer");
    }

    [Fact]
    public async Task DiskCacheAnswersAReRunWithoutTheModel()
    {
        var cache = Path.Combine(f.Root, "cache-" + Guid.NewGuid().ToString("N"));
        var options = new ChatOptions { Temperature = 1, MaxOutputTokens = 10, Seed = 3 };
        string first;
        using (var teacher = Teacher.Create(TeacherSpec.Parse("local:" + f.ModelDir), new TeacherOptions { CacheDirectory = cache }))
        {
            first = await teacher.AskAsync("Sort the list: 4, 1", options: options);
            var stats = teacher.GetService<LocalChatClient>()!.Model.Batcher.Stats;
            Assert.Equal(first, await teacher.AskAsync("Sort the list: 4, 1", options: options));
            Assert.Equal(stats.PromptTokens, teacher.GetService<LocalChatClient>()!.Model.Batcher.Stats.PromptTokens); // no second request
        }
        Assert.NotEmpty(Directory.GetFiles(cache, "*.json", SearchOption.AllDirectories));
        // A new process (a re-run): the answer comes from disk, the model is never asked; other options are new questions.
        using (var rerun = Teacher.Create(TeacherSpec.Parse("local:" + f.ModelDir), new TeacherOptions { CacheDirectory = cache }))
        {
            Assert.Equal(first, await rerun.AskAsync("Sort the list: 4, 1", options: options));
            Assert.Equal(0, rerun.GetService<LocalChatClient>()!.Model.Batcher.Stats.PromptTokens);
            await rerun.AskAsync("Sort the list: 4, 1", options: new ChatOptions { Temperature = 1, MaxOutputTokens = 10, Seed = 4 });
            Assert.True(rerun.GetService<LocalChatClient>()!.Model.Batcher.Stats.PromptTokens > 0);
        }
    }

    [Fact]
    public async Task LocalTeacherWithAnAdapterAnswersAsTheAdaptedModel()
    {
        // An adapter with non-zero B (a fresh one equals the base), saved in the PEFT format.
        var adapterDir = Path.Combine(f.Root, "adapter-" + Guid.NewGuid().ToString("N"));
        var trained = ModelBundle.Load(f.ModelDir);
        var lora = LoraModel.Apply(trained.Model, new LoraConfig { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "v_proj", "down_proj"] }, seed: 5);
        foreach (var l in lora.Layers) Tensor.RandN(l.B.Shape, 77, 0.5).CopyTo(l.B);
        lora.Save(adapterDir);
        lora.Training = false;

        using var teacher = Teacher.Create(TeacherSpec.Parse($"local:{f.ModelDir}+adapter={adapterDir}"));
        var greedy = new SamplingOptions { MaxNewTokens = 12, EosTokenIds = f.Bundle.EosTokenIds };
        var ids = f.ChatPromptIds("Calculate. 9 - 2");
        var adapted = new TextGenerator(trained.Model, trained.Tokenizer).Generate([ids], greedy)[0].Text;
        var plain = new TextGenerator(f.Bundle.Model, f.Bundle.Tokenizer).Generate([ids], greedy)[0].Text;
        Assert.NotEqual(plain, adapted);
        Assert.Equal(adapted, await teacher.AskAsync("Calculate. 9 - 2", options: new ChatOptions { Temperature = 0, MaxOutputTokens = 12 }));
        Assert.EndsWith("+" + Path.GetFileName(adapterDir), teacher.GetService<LocalChatClient>()!.Model.Name);
    }
}
