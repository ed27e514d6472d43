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
        foreach (var f in new[] { "elementwise.cu", "norm.cu", "softmax.cu", "loss.cu", "activation.cu", "dropout.cu" }) Assert.Contains(f, files);
        Assert.Contains("common.cuh", KernelSources.Headers().Keys);
        Assert.Contains("philox_word", KernelSources.Headers()["common.cuh"]);
        foreach (var f in files) Assert.Contains("#include \"common.cuh\"", KernelSources.Source(f));
    }
}

public class CudaDeviceSelectionTests
{
    /// <summary>Without a driver, asking for cuda is a clear error naming what was looked for; with one, a round trip is exact.</summary>
    [Fact]
    public void CudaTensorsRoundTripOrFailClearly()
    {
        var x = Engine.Runtime.Tensor.RandN([3, 5], 7);
        if (!Engine.Runtime.Cuda.CudaProbe.Probe().Found)
        {
            var e = Assert.ThrowsAny<Exception>(() => x.To(Engine.Runtime.Device.Cuda(0)));
            Assert.Contains("libcuda", e.Message);
            return;
        }
        var back = x.To(Engine.Runtime.Device.Cuda(0)).To(Engine.Runtime.Device.Cpu);
        Assert.Equal(x.ToArray<float>(), back.ToArray<float>());
    }
}
