using System.Text.Json.Nodes;
using Engine.Models.Generation;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Tests.Models;

/// <summary>
/// Engine's forward against an independent implementation: tests/fixtures/models/make_reference.py writes
/// tiny checkpoints by hand and their logits from a hand-written PyTorch float64 forward.
/// </summary>
public class TransformerParityTests
{
    public static string FixtureDir(string name)
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !Directory.Exists(Path.Combine(dir, "tests", "fixtures"))) dir = Path.GetDirectoryName(dir);
        return Path.Combine(dir ?? throw new DirectoryNotFoundException("tests/fixtures not found above the test binary"), "tests", "fixtures", "models", name);
    }

    public static IEnumerable<object[]> Cases() =>
        new[] { "llama_gqa_tied", "qwen2_bias", "mistral_headdim_linear", "qwen3_qknorm", "llama3_rope", "qwen2_yarn" }.Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(Cases))]
    public void LogitsMatchTheReferenceForAPaddedBatch(string name)
    {
        var batch = FixtureBatch.Load(name);
        var model = TransformerModel.Load(FixtureDir(name));
        using var _ = Autograd.NoGrad();
        var logits = model.Forward(batch.IdsTensor(Device.Cpu), batch.MaskTensor(Device.Cpu)).ToDoubleArray();
        double worst = batch.MaxRelativeError(logits, model.Config.VocabSize);
        Assert.True(worst <= 1e-4, $"{name}: max relative logit error {worst:E2} > 1e-4");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GreedyDecodingWithKvCacheMatchesFullReforwarding(string name)
    {
        var dir = FixtureDir(name);
        var reference = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "reference.json")))!;
        var model = TransformerModel.Load(dir);
        var prompt = reference["greedy_prompt"]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
        var expected = reference["greedy_continuation"]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
        var gen = new TextGenerator(model, tokenizer: null);
        var r = gen.Generate([prompt], new SamplingOptions { MaxNewTokens = expected.Length, EosTokenIds = [] })[0];
        Assert.Equal(expected, r.TokenIds);
        Assert.Equal("length", r.FinishReason);
    }

    [Fact]
    public void LeftPaddedBatchDecodesLikeEachPromptAlone()
    {
        var model = TransformerModel.Load(FixtureDir("qwen2_bias"));
        var gen = new TextGenerator(model, tokenizer: null);
        var o = new SamplingOptions { MaxNewTokens = 6, EosTokenIds = [] };
        int[] a = [5, 9, 17, 3, 44, 12, 8], c = [71, 2, 30];
        var together = gen.Generate([a, c], o);
        Assert.Equal(gen.Generate([a], o)[0].TokenIds, together[0].TokenIds);
        Assert.Equal(gen.Generate([c], o)[0].TokenIds, together[1].TokenIds);
    }
}
