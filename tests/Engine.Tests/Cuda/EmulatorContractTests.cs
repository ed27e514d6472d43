using Engine.Diagnostics.Kernels;
using Xunit.Abstractions;

namespace Engine.Tests.Cuda;

/// <summary>The contracts the op table cannot see: every kernel run, and bad ids caught on the device.</summary>
[Collection(EmulatorCollection.Name)]
public class EmulatorContractTests(ITestOutputHelper output)
{
    /// <summary>Every __global__ of kernels/*.cu on disk was launched by the table's run on the emulator: no kernel without a case.</summary>
    [Fact]
    public void EveryKernelIsRunByTheOpTable()
    {
        var kernels = KernelSourceParser.ParseDirectory(Path.Combine(CudaEmulator.RepoRoot(), "kernels"));
        var launched = EmulatorTable.Full.Launched.ToHashSet(StringComparer.Ordinal);
        var missing = kernels.Where(k => !launched.Contains(k.Name)).Select(k => $"kernels/{k.File}:{k.Name}").ToArray();
        output.WriteLine($"{kernels.Count - missing.Length} of {kernels.Count} kernels launched by the table");
        Assert.True(kernels.Count >= 60, $"only {kernels.Count} kernels parsed");
        Assert.True(missing.Length == 0, $"kernels no case runs (add a case to src/Diagnostics/Cases, or delete the kernel):\n{string.Join('\n', missing)}");
    }

    /// <summary>
    /// An out-of-range target or id on emulated CUDA is the CPU's error, word for word (row and value named), not NaN or
    /// a read past the row (the emulator would report that as an illegal address); the device keeps working afterwards.
    /// </summary>
    [Fact]
    public void OutOfRangeIdsAreTheCpusErrorOnCuda()
    {
        var m = CudaEmulator.Inside<string[]>(nameof(EmulatorInside.OutOfRangeIds));
        foreach (var line in m) output.WriteLine(line);
        for (int i = 0; i < 8; i += 2) Assert.Equal(m[i + 1], m[i]); // cuda, then cpu
        Assert.Contains("CrossEntropy: target 1000 at row 3 is outside the vocabulary [0, 1000) and is not the ignore index -100.", m[0]);
        Assert.Contains("CrossEntropy: target -1 at row 2 is outside the vocabulary [0, 1000) and is not the ignore index -100.", m[2]);
        Assert.Contains("CrossEntropy: target -100 at row 1 is outside the vocabulary [0, 1000).", m[4]); // no ignore index in log-probs
        Assert.Contains("Embedding: id 10 at flat position 2 of ids [2, 2] is outside the vocabulary [0, 10).", m[6]);
        Assert.Equal(double.Parse(m[9]), double.Parse(m[8]), 1e-5);
    }
}
