using System.Runtime.CompilerServices;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Synthesis.SeaPO;
using Microsoft.Extensions.AI;

namespace Engine.Tests.SeaPO;

public class ChatClientInjectorTests
{
    /// <summary>Answers "Answer: 7" to prompts about "1 + 1", throws for "2 + 2", and says what it was asked.</summary>
    private sealed class Client : IChatClient
    {
        public List<(string Prompt, float? Temperature)> Asked { get; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken ct = default)
        {
            var text = messages.Last().Text;
            lock (Asked) Asked.Add((text, options?.Temperature));
            if (text.Contains("2 + 2", StringComparison.Ordinal)) throw new HttpRequestException("server error");
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Rewritten response:\n1 + 1 = 3\nAnswer: 3")));
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
    public void ATeacherInjectsGreedilyAndAFailedCallIsACountedRefusal()
    {
        var dir = Path.Combine(Path.GetTempPath(), "engine-seapo-teacher-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var input = Path.Combine(dir, "clean.jsonl");
            File.WriteAllLines(input, [
                """{"instruction":"Calculate.","input":"1 + 1","output":"1 + 1 = 2\nAnswer: 2"}""",
                """{"instruction":"Calculate.","input":"2 + 2","output":"2 + 2 = 4\nAnswer: 4"}""",
            ]);
            var client = new Client();
            var output = Path.Combine(dir, "kto.jsonl");
            var report = new SeaPoRunner(new ChatClientInjector(client, "teacher:test", 64), new SeaPoOptions { Types = [SeaPoErrorType.Correctness], Mode = SeaPoMode.Targeted })
                .Run(new JobOptions { Input = input, Output = output })!;
            Assert.Equal(2, client.Asked.Count);
            Assert.All(client.Asked, a => Assert.Equal(0f, a.Temperature));
            Assert.Contains("Error type: correctness", client.Asked[0].Prompt);
            Assert.Equal(1, report.KtoRecords);
            Assert.Equal(1, report.RejectedBy(SeaPoErrorType.Correctness, SeaPoGuard.Empty));
            var rows = File.ReadAllLines(output);
            Assert.Equal(2, rows.Length);
            Assert.Equal("1 + 1 = 3\nAnswer: 3", (string)System.Text.Json.Nodes.JsonNode.Parse(rows[1])!["completion"]![0]!["content"]!);
            Assert.Equal("teacher:test", RecordJobRunner.FingerprintOf(new SeaPoInjectJob(new ChatClientInjector(client, "teacher:test", 64), new SeaPoOptions()), input)["injector"]);
        }
        finally { Directory.Delete(dir, true); }
    }
}
