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
