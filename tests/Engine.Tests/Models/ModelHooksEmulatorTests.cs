using Engine.Tests.Cuda;

namespace Engine.Tests.Models;

/// <summary>The model hooks on the emulated CUDA device: the same dropout masks as the CPU, the masked forward and its mask gradients, pooling.</summary>
[Collection(EmulatorCollection.Name)]
public class ModelHooksEmulatorTests
{
    [Fact]
    public void DropoutMasksAreTheSameOnCudaAndTheCpu()
    {
        var r = CudaEmulator.Inside<double[][]>(nameof(EmulatorInside.DropoutForwards));
        double[] cudaFirst = r[0], cpuFirst = r[1], cudaSecond = r[2], cpuSecond = r[3], eval = r[4];
        Assert.True(HookModels.RelDiff(cudaFirst, cpuFirst) <= 1e-5, $"first forward: cuda vs cpu {HookModels.RelDiff(cudaFirst, cpuFirst):E2}");
        Assert.True(HookModels.RelDiff(cudaSecond, cpuSecond) <= 1e-5, $"second forward: cuda vs cpu {HookModels.RelDiff(cudaSecond, cpuSecond):E2}");
        // A different mask is a large difference, so the agreement above is the masks', not just the numerics'.
        Assert.True(HookModels.RelDiff(cpuFirst, cpuSecond) > 1e-2, "successive forwards should draw different masks");
        Assert.True(HookModels.RelDiff(cpuFirst, eval) > 1e-2, "training mode should drop something");
    }

    [Theory]
    [MemberData(nameof(StructuralMaskTests.Fixtures), MemberType = typeof(StructuralMaskTests))]
    public void MaskedForwardAndMaskGradientsMatchTheCpu(string fixture)
    {
        var r = CudaEmulator.Inside<double[][]>(nameof(EmulatorInside.MaskedFixture), fixture);
        Assert.True(HookModels.MaxRelativeError(fixture, r[0]) <= 1e-4, $"cuda vs reference {HookModels.MaxRelativeError(fixture, r[0]):E2}");
        Assert.True(HookModels.RelDiff(r[0], r[1]) <= 1e-5, $"cuda vs cpu logits {HookModels.RelDiff(r[0], r[1]):E2}");
        Assert.True(HookModels.RelDiff(r[2], r[3]) <= 1e-4, $"cuda vs cpu mask gradients {HookModels.RelDiff(r[2], r[3]):E2}");
        Assert.Contains(r[3], g => g != 0);
    }

    [Fact]
    public void PooledEmbeddingsMatchTheCpu()
    {
        var r = CudaEmulator.Inside<double[][]>(nameof(EmulatorInside.PooledEmbeddings));
        Assert.Equal(3 * 16, r[0].Length);
        Assert.True(HookModels.RelDiff(r[0], r[1]) <= 1e-5, $"cuda vs cpu {HookModels.RelDiff(r[0], r[1]):E2}");
    }
}
