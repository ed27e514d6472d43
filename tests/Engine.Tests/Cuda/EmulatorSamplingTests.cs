using Xunit.Abstractions;

namespace Engine.Tests.Cuda;

/// <summary>
/// sample_tokens_f32 through CudaBackend on the CPU emulator against the CPU sampler: identical ids for every mode
/// and seed (CudaParitySuite's sampling rows; the full suite, 151,936-token vocabulary included, runs in
/// EmulatorParityTests). Two block sizes, so the reductions and the ordered scan are exercised at 1 and 4 warps.
/// </summary>
[Collection(EmulatorCollection.Name)]
public class EmulatorSamplingTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(32, 4099)]
    [InlineData(128, 4099)]
    public void SampledIdsMatchTheCpuSampler(int threads, int maxVocab)
    {
        var rows = CudaEmulator.Inside<string[]>(nameof(EmulatorInside.SamplingParity), 20261125UL, maxVocab, threads);
        foreach (var r in rows) output.WriteLine(r);
        Assert.Equal(3 * 8 * 2, rows.Length);
        var failed = rows.Where(r => !r.EndsWith("\tpass")).ToArray();
        Assert.True(failed.Length == 0, $"{failed.Length} of {rows.Length} sampling rows failed on the CUDA emulator:\n{string.Join('\n', failed)}");
    }
}

/// <summary>TextGenerator with logits on cuda:0 (sampled on the device, B ids copied back) against the CPU run.</summary>
[Collection(EmulatorCollection.Name)]
public class EmulatorGenerationSamplingTests
{
    [Fact]
    public void SampledGenerationOnCudaMatchesTheCpu()
    {
        const string fixture = "qwen2_bias";
        int[][] prompts = [[5, 9, 17, 3, 44, 12, 8], [71, 2, 30]];
        var got = CudaEmulator.Inside<object[]>(nameof(EmulatorInside.FixtureSampled), fixture, prompts, 3UL);
        var model = Engine.Models.Transformer.TransformerModel.Load(Engine.Tests.Models.TransformerParityTests.FixtureDir(fixture));
        var want = new Engine.Models.Generation.TextGenerator(model, tokenizer: null).Generate(prompts, EmulatorInside.SampledOptions, firstRow: 3);
        var ids = (int[][])got[0];
        var lps = (double[][])got[1];
        for (int r = 0; r < prompts.Length; r++)
        {
            Assert.Equal(want[r].TokenIds, ids[r]);
            for (int i = 0; i < ids[r].Length; i++) Assert.Equal(want[r].LogProbs[i], lps[r][i], 1e-4);
            Assert.True(ids[r].Distinct().Count() > 3, "a sampled continuation should vary");
        }
    }
}
