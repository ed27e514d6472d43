#pragma warning disable OPENAI001 // ChatCompletionOptions.Seed is marked experimental in the official client
using System.ClientModel;
using System.Net.Http.Headers;
using OpenAI.Chat;

namespace Engine.Tests.Serving;

/// <summary>A server with one slot, a queue of one and an API key: overload is refused with 429, never a crash.</summary>
public class ServeLimitsTests(ServeFixture f) : IClassFixture<ServeFixture>
{
    [Fact]
    public async Task TooManyConcurrentRequestsGet429AndTheServerKeepsServing()
    {
        await using var server = await RunningServer.StartAsync(f.ModelDir, "--served-model-name", "small", "--max-batch", "1", "--max-queue", "1", "--api-key", "sesame");
        var client = ServeFixture.Client(server.BaseUrl, "small", key: "sesame");
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 300, Temperature = 1, Seed = 1 };
        var calls = Enumerable.Range(0, 8).Select(async i =>
        {
            try { await client.CompleteChatAsync([new UserChatMessage($"Sort the list: {i}, 3, 1")], options); return 200; }
            catch (ClientResultException e) { return e.Status; }
        }).ToArray();
        var statuses = await Task.WhenAll(calls);
        Assert.Contains(429, statuses);
        Assert.Contains(200, statuses);
        Assert.All(statuses, s => Assert.True(s is 200 or 429, $"unexpected status {s}"));

        // Still serving, and idle again.
        ChatCompletion after = await client.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 3 });
        Assert.True(after.Usage.OutputTokenCount <= 3);
        var health = await server.Health();
        Assert.Equal(0, health["running"]!.GetValue<int>());
        Assert.Equal(0, health["waiting"]!.GetValue<int>());

        // The key guards /v1 only.
        var wrong = await Assert.ThrowsAsync<ClientResultException>(() => ServeFixture.Client(server.BaseUrl, "small", key: "guess").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, wrong.Status);
        using var plain = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseUrl, "v1/models"));
        Assert.Equal(401, (int)(await server.Http.SendAsync(plain)).StatusCode);
        using var keyed = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseUrl, "v1/models")) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "sesame") } };
        Assert.Equal(200, (int)(await server.Http.SendAsync(keyed)).StatusCode);
    }
}
