#pragma warning disable OPENAI001 // ChatCompletionOptions.Seed is marked experimental in the official client
using System.ClientModel;
using System.Text;
using System.Text.Json.Nodes;
using Engine.Cli.Commands;
using Engine.Methods.Teachers;
using Engine.Models.Generation;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;

namespace Engine.Tests.Serving;

/// <summary>
/// `engine serve` driven by the official OpenAI .NET client (and through IChatClient). Expected texts come from
/// TextGenerator, the static-batch generator, on the prompt ids the chat template gives; logprobs from `engine score`.
/// </summary>
public class ServeTests(ServeFixture f) : IClassFixture<ServeFixture>
{
    private ChatClient Client => ServeFixture.Client(f.Server.BaseUrl, f.Name);

    private GenerationResult Reference(string user, SamplingOptions o, int row = 0, int rows = 1) =>
        new TextGenerator(f.Bundle.Model, f.Bundle.Tokenizer).Generate(Enumerable.Repeat(f.ChatPromptIds(user), rows).ToArray(), o with { EosTokenIds = f.Bundle.EosTokenIds })[row];

    [Fact]
    public async Task NonStreamingAndStreamingGreedyAnswersEqualTextGenerator()
    {
        var want = Reference("Calculate. 12 + 46", new SamplingOptions { MaxNewTokens = 16 });
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 16 };
        ChatCompletion whole = await Client.CompleteChatAsync([new UserChatMessage("Calculate. 12 + 46")], options);
        Assert.Equal(want.Text, whole.Content.Count == 0 ? "" : whole.Content[0].Text);
        Assert.Equal(want.TokenIds.Length, whole.Usage.OutputTokenCount);
        Assert.Equal(f.ChatPromptIds("Calculate. 12 + 46").Length, whole.Usage.InputTokenCount);
        Assert.Equal(want.FinishReason == "length" ? ChatFinishReason.Length : ChatFinishReason.Stop, whole.FinishReason);

        var streamed = new StringBuilder();
        ChatFinishReason? finish = null;
        int updates = 0;
        await foreach (var u in Client.CompleteChatStreamingAsync([new UserChatMessage("Calculate. 12 + 46")], options))
        {
            updates++;
            foreach (var part in u.ContentUpdate) streamed.Append(part.Text);
            finish ??= u.FinishReason;
        }
        Assert.Equal(want.Text, streamed.ToString());
        Assert.Equal(whole.FinishReason, finish);
        Assert.True(updates > 2, "a streamed answer arrives in pieces");
    }

    [Fact]
    public async Task TwoChoicesAreTheSeededRowsOfTextGenerator()
    {
        var answer = await ServeFixture.Raw(Client, new JsonObject
        {
            ["model"] = f.Name, ["n"] = 2, ["temperature"] = 1.0, ["seed"] = 7, ["max_tokens"] = 12,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Sort the list: 5, 2, 9" }),
        }.ToJsonString());
        var choices = answer["choices"]!.AsArray();
        Assert.Equal(2, choices.Count);
        var o = new SamplingOptions { MaxNewTokens = 12, Temperature = 1.0, Seed = 7 };
        for (int j = 0; j < 2; j++)
        {
            Assert.Equal(j, choices[j]!["index"]!.GetValue<int>());
            Assert.Equal(Reference("Sort the list: 5, 2, 9", o, row: j, rows: 2).Text, choices[j]!["message"]!["content"]!.GetValue<string>());
        }
        Assert.NotEqual(choices[0]!["message"]!["content"]!.GetValue<string>(), choices[1]!["message"]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task StopStringCutsTheAnswerStreamedOrNot()
    {
        var full = Reference("Translate to French: dog", new SamplingOptions { MaxNewTokens = 24 }).Text;
        Assert.True(full.Length >= 8, $"the greedy answer '{full}' is too short to cut");
        var stop = full.Substring(4, 2);
        var expected = full[..full.IndexOf(stop, StringComparison.Ordinal)];
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24, StopSequences = { stop } };
        ChatCompletion whole = await Client.CompleteChatAsync([new UserChatMessage("Translate to French: dog")], options);
        Assert.Equal(expected, whole.Content.Count == 0 ? "" : whole.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, whole.FinishReason);
        var streamed = new StringBuilder();
        await foreach (var u in Client.CompleteChatStreamingAsync([new UserChatMessage("Translate to French: dog")], options))
            foreach (var part in u.ContentUpdate) streamed.Append(part.Text);
        Assert.Equal(expected, streamed.ToString());
    }

    [Fact]
    public async Task SameSeedSameAnswerAloneOrAmongConcurrentRequests()
    {
        ChatCompletionOptions Seeded(long seed) => new() { Temperature = 1.0f, MaxOutputTokenCount = 16, Seed = seed };
        async Task<string> Ask(long seed) { ChatCompletion c = await Client.CompleteChatAsync([new UserChatMessage("Count the vowels in banana")], Seeded(seed)); return c.Content.Count == 0 ? "" : c.Content[0].Text; }
        var alone = await Ask(11);
        var crowd = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Ask(i % 2 == 0 ? 11 : 100 + i)));
        Assert.All(crowd.Where((_, i) => i % 2 == 0), t => Assert.Equal(alone, t));
        Assert.NotEqual(alone, await Ask(12));
    }

    [Fact]
    public async Task LogProbsEqualEngineScoreOfTheSameTokens()
    {
        var answer = await ServeFixture.Raw(Client, new JsonObject
        {
            ["model"] = f.Name, ["temperature"] = 0, ["max_tokens"] = 10, ["logprobs"] = true, ["top_logprobs"] = 3, ["return_tokens_as_token_ids"] = true,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Calculate. 7 * 8" }),
        }.ToJsonString());
        var content = answer["choices"]![0]!["logprobs"]!["content"]!.AsArray();
        Assert.NotEmpty(content);
        var ids = content.Select(t => int.Parse(t!["token"]!.GetValue<string>()["token_id:".Length..])).ToArray();
        var lps = content.Select(t => t!["logprob"]!.GetValue<double>()).ToArray();
        foreach (var t in content)
        {
            var top = t!["top_logprobs"]!.AsArray().Select(x => x!["logprob"]!.GetValue<double>()).ToArray();
            Assert.Equal(3, top.Length);
            Assert.True(top[0] >= top[1] && top[1] >= top[2], "top_logprobs are sorted");
            Assert.Equal(top[0], t["logprob"]!.GetValue<double>(), 9); // greedy picks the most likely token
        }
        // `engine score` on prompt + generated ids: its last token log-probs are the server's.
        var prompt = f.ChatPromptIds("Calculate. 7 * 8");
        var input = Path.Combine(f.Root, "score-in.jsonl");
        var output = Path.Combine(f.Root, "score-out.jsonl");
        File.WriteAllText(input, new JsonObject { ["input_ids"] = new JsonArray(prompt.Concat(ids).Select(i => (JsonNode)i).ToArray()) }.ToJsonString() + "\n");
        Assert.Equal(0, ScoreCommand.Create().Parse(["--model", f.ModelDir, "--input", input, "--output", output]).Invoke());
        var scored = JsonNode.Parse(File.ReadAllLines(output)[0])!["token_logprobs"]!.AsArray().Select(x => x!.GetValue<double>()).ToArray();
        var tail = scored[^ids.Length..];
        for (int i = 0; i < ids.Length; i++) Assert.Equal(tail[i], lps[i], 1e-5); // score writes 6 decimals
    }

    [Fact]
    public async Task BadRequestsGetJsonErrors()
    {
        var bad = await Assert.ThrowsAsync<ClientResultException>(() => Client.CompleteChatAsync(BinaryContent.Create(BinaryData.FromString("{\"messages\": [")), new()));
        Assert.Equal(400, bad.Status);
        Assert.Contains("not valid JSON", ErrorMessage(bad));

        var unknown = await Assert.ThrowsAsync<ClientResultException>(() => ServeFixture.Client(f.Server.BaseUrl, "no-such-model").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(404, unknown.Status);
        Assert.Contains("no-such-model", ErrorMessage(unknown));

        var field = await Assert.ThrowsAsync<ClientResultException>(() => Client.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { TopP = 1.5f }));
        Assert.Equal(400, field.Status);
        Assert.Equal("top_p", JsonNode.Parse(field.GetRawResponse()!.Content.ToString())!["error"]!["param"]!.GetValue<string>());

        var tooLong = await Assert.ThrowsAsync<ClientResultException>(() => Client.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 100_000 }));
        Assert.Equal(400, tooLong.Status);
        Assert.Contains("maximum context length", ErrorMessage(tooLong));

        // Token ids outside the vocabulary: the batcher's check, still a 400 naming the problem.
        using var ids = new StringContent(new JsonObject { ["prompt"] = new JsonArray(1, 2, 999_999), ["max_tokens"] = 2 }.ToJsonString(), Encoding.UTF8, "application/json");
        var vocab = await f.Server.Http.PostAsync(new Uri(f.Server.BaseUrl, "v1/completions"), ids);
        Assert.Equal(400, (int)vocab.StatusCode);
        Assert.Contains("outside the vocabulary", await vocab.Content.ReadAsStringAsync());
    }

    private static string ErrorMessage(ClientResultException e) =>
        JsonNode.Parse(e.GetRawResponse()!.Content.ToString())!["error"]!["message"]!.GetValue<string>();

    [Fact]
    public async Task ModelsHealthAndCompletionsEndpoints()
    {
        var models = JsonNode.Parse(await f.Server.Http.GetStringAsync(new Uri(f.Server.BaseUrl, "v1/models")))!;
        Assert.Equal(f.Name, models["data"]![0]!["id"]!.GetValue<string>());
        Assert.Equal("ok", (await f.Server.Health())["status"]!.GetValue<string>());

        // Two prompts × n=2: four choices numbered prompt·n + j, with the legacy logprobs layout.
        var body = new StringContent(new JsonObject
        {
            ["model"] = f.Name, ["prompt"] = new JsonArray("Calculate.", "Sort"), ["n"] = 2, ["max_tokens"] = 5, ["logprobs"] = 2, ["seed"] = 3, ["temperature"] = 1.0, ["ignore_eos"] = true,
        }.ToJsonString(), Encoding.UTF8, "application/json");
        var r = await f.Server.Http.PostAsync(new Uri(f.Server.BaseUrl, "v1/completions"), body);
        Assert.Equal(200, (int)r.StatusCode);
        var c = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
        var choices = c["choices"]!.AsArray();
        Assert.Equal([0, 1, 2, 3], choices.Select(x => x!["index"]!.GetValue<int>()));
        Assert.All(choices, x => Assert.Equal(5, x!["logprobs"]!["token_logprobs"]!.AsArray().Count));
        Assert.Equal(20, c["usage"]!["completion_tokens"]!.GetValue<int>());
        var want = new TextGenerator(f.Bundle.Model, f.Bundle.Tokenizer).Generate(["Sort", "Sort"], new SamplingOptions { MaxNewTokens = 5, Temperature = 1.0, Seed = 3, EosTokenIds = [] });
        Assert.Equal(want[1].Text, choices[3]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task DisconnectedStreamLeavesTheBatch()
    {
        using var cts = new CancellationTokenSource();
        long before = (await f.Server.Health())["generated_tokens"]!.GetValue<long>();
        var stream = ServeFixture.Client(f.Server.BaseUrl, f.Name).CompleteChatStreamingAsync(
            [new UserChatMessage("Tell a long story")], new ChatCompletionOptions { MaxOutputTokenCount = 480, Temperature = 1, Seed = 5 }, cts.Token);
        try
        {
            await foreach (var u in stream.WithCancellation(cts.Token)) { cts.Cancel(); }
        }
        catch (OperationCanceledException) { }
        JsonNode h = await f.Server.Health();
        for (int i = 0; i < 100 && h["running"]!.GetValue<int>() > 0; i++) { await Task.Delay(50); h = await f.Server.Health(); }
        Assert.Equal(0, h["running"]!.GetValue<int>());
        // Stopped long before its 480 tokens (other tests' requests may add a few hundred tokens meanwhile).
        Assert.True(h["generated_tokens"]!.GetValue<long>() - before < 480 + 200, "the disconnected request should have stopped early");
    }

    [Fact]
    public async Task TheRemoteTeacherIsThisServerThroughIChatClient()
    {
        using IChatClient teacher = Teacher.Create(TeacherSpec.Parse($"openai:{f.Server.BaseUrl}v1#{f.Name}"), new TeacherOptions { MaxRetries = 0 });
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 16 };
        var want = Reference("Calculate. 12 + 46", new SamplingOptions { MaxNewTokens = 16 }).Text;
        Assert.Equal(want, await teacher.AskAsync("Calculate. 12 + 46", options: options));
        var streamed = new StringBuilder();
        await foreach (var u in teacher.GetStreamingResponseAsync([new(ChatRole.User, "Calculate. 12 + 46")], options)) streamed.Append(u.Text);
        Assert.Equal(want, streamed.ToString());
    }
}
