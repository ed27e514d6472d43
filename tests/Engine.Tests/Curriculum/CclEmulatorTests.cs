using Engine.Tests.Cuda;
using Engine.Tests.Models;

namespace Engine.Tests.Curriculum;

/// <summary>CCL training on the emulated CUDA device (real kernels: dropout, symmetric KL, gather, cross-entropy) tracks the CPU.</summary>
[Collection(EmulatorCollection.Name)]
public class CclEmulatorTests
{
    [Fact]
    public void CclOnCudaTracksTheCpu()
    {
        var r = CudaEmulator.Inside<double[][]>(nameof(EmulatorInside.CclSteps));
        double[] cudaLoss = r[0], cudaKl = r[1], cudaState = r[2], cpuLoss = r[3], cpuKl = r[4], cpuState = r[5];
        Assert.Equal(4, cpuLoss.Length);
        Assert.True(HookModels.RelDiff(cudaLoss, cpuLoss) <= 1e-4, $"loss: cuda vs cpu {HookModels.RelDiff(cudaLoss, cpuLoss):E2}");
        Assert.True(HookModels.RelDiff(cudaKl, cpuKl) <= 1e-3, $"step consistency: cuda vs cpu {HookModels.RelDiff(cudaKl, cpuKl):E2}");
        Assert.True(HookModels.RelDiff(cudaState, cpuState) <= 1e-3, $"weights and consistencies: cuda vs cpu {HookModels.RelDiff(cudaState, cpuState):E2}");
        Assert.All(cpuKl, k => Assert.True(k > 0));   // the views differ, so the comparison is of real consistency terms
    }
}
