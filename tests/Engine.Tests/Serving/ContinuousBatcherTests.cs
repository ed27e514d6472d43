using System.Text.Json.Nodes;
using System.Threading.Channels;
using Engine.Models.Generation;
using Engine.Models.Transformer;
using Engine.Runtime;
using Engine.Tests.Models;

namespace Engine.Tests.Serving;

/// <summary>
/// Continuous batching against two references: the PyTorch greedy continuations of the fixture models
/// (tests/fixtures/models, a hand-written float64 forward), and TextGenerator's static batch for sampled decoding.
/// Requests join and leave a running batch at different lengths; each must still get what it gets alone.
/// </summary>
public class ContinuousBatcherTests
{
    /// <summary>A hung batcher fails the test instead of the run.</summary>
    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token;

    private static (int[] prompt, int[] continuation) Reference(string name)
    {
        var r = JsonNode.Parse(File.ReadAllText(Path.Combine(TransformerParityTests.FixtureDir(name), "reference.json")))!;
        int[] Ints(string k) => r[k]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
        return (Ints("greedy_prompt"), Ints("greedy_continuation"));
    }

    [Theory]
    [MemberData(nameof(TransformerParityTests.Cases), MemberType = typeof(TransformerParityTests))]
    public async Task GreedyContinuationMatchesPyTorchWhileOtherRequestsJoinAndLeave(string name)
    {
        var model = TransformerModel.Load(TransformerParityTests.FixtureDir(name));
        var (prompt, expected) = Reference(name);
        using var batcher = new ContinuousBatcher(model, null, new BatcherOptions { MaxBatch = 6, MaxModelLength = 64 });
        var greedy = new SamplingOptions { MaxNewTokens = expected.Length, EosTokenIds = [] };
        // Neighbours of other lengths, some shorter-lived than the reference request, some sampled.
        var others = new List<Task<GenerationResult[]>>();
        for (int i = 0; i < 4; i++)
        {
            int[] p = Enumerable.Range(0, 3 + 5 * i).Select(j => (j * 7 + i * 13 + 1) % model.Config.VocabSize).ToArray();
            others.Add(batcher.GenerateAsync(new GenerationRequest(p, greedy with { MaxNewTokens = 2 + 3 * i, Temperature = i % 2, Seed = (ulong)i }), Timeout));
        }
        var mine = await batcher.GenerateAsync(new GenerationRequest(prompt, greedy), Timeout);
        await Task.WhenAll(others);
        Assert.Equal(expected, mine[0].TokenIds);
        Assert.Equal("length", mine[0].FinishReason);
    }

    [Fact]
    public async Task SampledChoicesEqualTextGeneratorRowsWhateverTheBatch()
    {
        var model = TransformerModel.Load(TransformerParityTests.FixtureDir("qwen2_bias"));
        var o = new SamplingOptions { MaxNewTokens = 12, EosTokenIds = [], Temperature = 1.2, TopK = 40, TopP = 0.95, RepetitionPenalty = 1.3, Seed = 99 };
        int[] prompt = [5, 9, 17, 3, 44];
        // Reference: the prompt three times in one static batch from row 0 (choice j = row j).
        var want = new TextGenerator(model, null).Generate([prompt, prompt, prompt], o);
        Assert.NotEqual(want[0].TokenIds, want[1].TokenIds); // choices of one seed differ

        using var batcher = new ContinuousBatcher(model, null, new BatcherOptions { MaxBatch = 8, MaxModelLength = 64 });
        var ct = Timeout;
        var noise = batcher.GenerateAsync(new GenerationRequest([71, 2, 30, 8, 8, 8, 8, 8, 1], o with { Seed = 5, MaxNewTokens = 20 }) { N = 2 }, ct);
        var alone = await batcher.GenerateAsync(new GenerationRequest(prompt, o) { N = 3 }, ct);
        await noise;
        for (int j = 0; j < 3; j++)
        {
            Assert.Equal(want[j].TokenIds, alone[j].TokenIds);
            for (int i = 0; i < want[j].LogProbs.Length; i++) Assert.Equal(want[j].LogProbs[i], alone[j].LogProbs[i], 1e-4);
        }
    }

    [Fact]
    public async Task ConcurrentRequestsShareDecodeSteps()
    {
        var model = TransformerModel.Load(TransformerParityTests.FixtureDir("llama_gqa_tied"));
        using var batcher = new ContinuousBatcher(model, null, new BatcherOptions { MaxBatch = 8, MaxModelLength = 64 });
        var o = new SamplingOptions { MaxNewTokens = 10, EosTokenIds = [] };
        var ct = Timeout;
        // Queue all eight before the loop can finish the first: enqueueing is immediate.
        var readers = new List<ChannelReader<GenerationChunk>>();
        for (int i = 0; i < 8; i++) readers.Add(await batcher.EnqueueAsync(new GenerationRequest([1 + i, 2 + i, 3], o), ct));
        foreach (var r in readers) await ContinuousBatcher.CollectAsync(r, 1, ct);
        var s = batcher.Stats;
        Assert.Equal(80, s.GeneratedTokens);
        // Sequentially that is 8 × 9 decode steps (the first token of each comes from its prefill); batched, far fewer.
        Assert.True(s.DecodeSteps <= 36, $"{s.DecodeSteps} decode steps for 8 concurrent requests of 10 tokens");
        Assert.Equal(0, s.Running);
    }

    [Fact]
    public async Task CancelledRequestLeavesTheBatchAndOthersFinish()
    {
        var model = TransformerModel.Load(TransformerParityTests.FixtureDir("qwen2_bias"));
        using var batcher = new ContinuousBatcher(model, null, new BatcherOptions { MaxBatch = 4, MaxModelLength = 1100 });
        var o = new SamplingOptions { MaxNewTokens = 1000, EosTokenIds = [] };
        using var cts = new CancellationTokenSource();
        var doomed = await batcher.EnqueueAsync(new GenerationRequest([3, 4, 5], o) { N = 2 }, cts.Token);
        var survivor = batcher.GenerateAsync(new GenerationRequest([6, 7], o with { MaxNewTokens = 30 }), Timeout);
        await doomed.ReadAsync(Timeout); // it is running
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => { await foreach (var _ in doomed.ReadAllAsync(Timeout)) { } });
        Assert.Equal(30, (await survivor)[0].TokenIds.Length);
        Assert.True(batcher.Stats.GeneratedTokens < 2 * 1000 + 30, "the cancelled request should not have run to its end");
        Assert.Equal(0, batcher.Stats.Running);
    }

    [Fact]
    public async Task FullQueueRefusesInsteadOfWaiting()
    {
        var model = TransformerModel.Load(TransformerParityTests.FixtureDir("qwen2_bias"));
        using var batcher = new ContinuousBatcher(model, null, new BatcherOptions { MaxBatch = 1, MaxQueue = 2, MaxModelLength = 128 });
        var o = new SamplingOptions { MaxNewTokens = 100, EosTokenIds = [] };
        using var cts = new CancellationTokenSource();
        var accepted = new List<ChannelReader<GenerationChunk>>();
        bool refused = false;
        for (int i = 0; i < 6 && !refused; i++)
        {
            if (batcher.TryEnqueue(new GenerationRequest([3, 4, 5], o), out var r, cts.Token)) accepted.Add(r);
            else refused = true;
        }
        Assert.True(refused, "a batch of 1 and a queue of 2 cannot take 6 long requests at once");
        Assert.InRange(accepted.Count, 2, 4); // queue of 2, plus one running and one taken off the queue to wait for a slot
        cts.Cancel();
        foreach (var r in accepted) await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => { await foreach (var _ in r.ReadAllAsync(Timeout)) { } });
        // Still serving after the refusals and cancellations.
        var ok = await batcher.GenerateAsync(new GenerationRequest([9, 9], o with { MaxNewTokens = 3 }), Timeout);
        Assert.Equal(3, ok[0].TokenIds.Length);
    }

    [Fact]
    public void RequestsBeyondTheLimitsAreRejectedWithTheReason()
    {
        var model = TransformerModel.Load(TransformerParityTests.FixtureDir("qwen2_bias"));
        using var batcher = new ContinuousBatcher(model, null, new BatcherOptions { MaxBatch = 2, MaxModelLength = 16 });
        var o = new SamplingOptions { MaxNewTokens = 10, EosTokenIds = [] };
        Assert.Contains("maximum sequence length 16", Assert.Throws<ArgumentException>(() => batcher.TryEnqueue(new GenerationRequest(new int[7], o), out _)).Message);
        Assert.Contains("n = 3", Assert.Throws<ArgumentException>(() => batcher.TryEnqueue(new GenerationRequest([1], o) { N = 3 }, out _)).Message);
        Assert.Contains("outside the vocabulary", Assert.Throws<ArgumentException>(() => batcher.TryEnqueue(new GenerationRequest([1, 500], o), out _)).Message);
    }
}
