using Engine.Tests.Cuda;
using Engine.Tests.Models;

namespace Engine.Tests.Pruning;

/// <summary>DRPruning's masks (clamp, sample, score, eval mask) and the masked forward and backward on the emulated CUDA device, against the CPU.</summary>
[Collection(EmulatorCollection.Name)]
public class DrPruningEmulatorTests
{
    [Fact]
    public void MaskKernelsAndMaskedForwardMatchTheCpu()
    {
        var r = CudaEmulator.Inside<double[][]>(nameof(EmulatorInside.DrPruningMaskedForward));
        Assert.True(HookModels.RelDiff(r[0], r[1]) <= 1e-5, $"logits: cuda vs cpu {HookModels.RelDiff(r[0], r[1]):E2}");
        Assert.True(HookModels.RelDiff(r[2], r[3]) <= 1e-6, $"sampled gates: cuda vs cpu {HookModels.RelDiff(r[2], r[3]):E2}");
        Assert.Contains(r[3], v => v == 0);                 // the sample has exact zeros and ones (hardtanh edges) ...
        Assert.Contains(r[3], v => v == 1);
        Assert.Contains(r[3], v => v is > 0 and < 1);       // ... and values in between
        Assert.True(HookModels.RelDiff(r[4], r[5]) <= 1e-4, $"log α and λ gradients: cuda vs cpu {HookModels.RelDiff(r[4], r[5]):E2}");
        Assert.Contains(r[5], g => g != 0);
        Assert.Equal(r[7].Select(v => v == 0), r[6].Select(v => v == 0));   // the same units pruned
        Assert.True(HookModels.RelDiff(r[6], r[7]) <= 1e-6, $"deterministic masks: cuda vs cpu {HookModels.RelDiff(r[6], r[7]):E2}");
        int half = r[8].Length / 2;
        Assert.True(HookModels.RelDiff(r[8][..half], r[8][half..]) <= 1e-6, "expected sparsities: cuda vs cpu");
    }
}
