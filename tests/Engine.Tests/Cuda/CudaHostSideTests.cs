using Engine.Runtime.Cuda;

namespace Engine.Tests.Cuda;

/// <summary>The parts of the CUDA backend that run without a GPU.</summary>
public class CudaHostSideTests
{
    [Theory]
    [InlineData(0, 512)]
    [InlineData(1, 512)]
    [InlineData(513, 1024)]
    [InlineData(1 << 20, 1 << 20)]
    [InlineData((1 << 20) + 1, 2 << 20)]
    [InlineData(3_000_000, 4 << 20)]
    public void AllocatorSizeClasses(long bytes, long expected) => Assert.Equal(expected, CudaMemoryPool.SizeClass(bytes));

    [Fact]
    public void EveryKernelSourceIsEmbeddedWithItsHeaders()
    {
        var files = KernelSources.KernelFiles();
        foreach (var f in new[] { "elementwise.cu", "norm.cu", "softmax.cu", "loss.cu" }) Assert.Contains(f, files);
        Assert.Contains("common.cuh", KernelSources.Headers().Keys);
        Assert.Contains("philox_word", KernelSources.Headers()["common.cuh"]);
        foreach (var f in files) Assert.Contains("#include \"common.cuh\"", KernelSources.Source(f));
    }
}
