using Engine.Models.Config;
using Engine.Models.Transformer;
using Engine.Runtime;
using Engine.Runtime.Cpu;
using Engine.Tests.Models;

namespace Engine.Tests.CpuGemm;

/// <summary>
/// A checkpoint loaded with bf16 weights runs its matmuls under bf16 autocast; on a CPU with AVX512_BF16 they take the
/// VDPBF16PS kernel. Its logits must be the widening path's bytes (same summation order, see Bf16Pack), and both
/// within bf16 accuracy of the float64 PyTorch reference. Byte equality matters at model level, not just per GEMM:
/// under autocast an f32 ulp in one matmul's output can flip the bf16 rounding of the next one's input (this is
/// what moved qwen2_yarn's logits by 1.2e-3 when the kernel summed each k-pair odd element first).
/// </summary>
public unsafe class Bf16ModelAgreementTests
{
    [Theory]
    [MemberData(nameof(TransformerParityTests.Cases), MemberType = typeof(TransformerParityTests))]
    public void DotKernelGivesTheWideningPathsLogits(string fixture)
    {
        var batch = FixtureBatch.Load(fixture);
        using var _ = Autograd.NoGrad();
        ModelConfig? cfg = null;
        double[] Run(bool dot)
        {
            var model = TransformerModel.Load(TransformerParityTests.FixtureDir(fixture), Device.Cpu, DType.BF16);
            bool was = Bf16Compute.Enabled;
            cfg = model.Config;
            Bf16Compute.Enabled = dot;
            try { return model.Forward(batch.IdsTensor(Device.Cpu), batch.MaskTensor(Device.Cpu)).ToDoubleArray(); }
            finally { Bf16Compute.Enabled = was; }
        }
        var dotLogits = Run(true);
        if (Bf16Kernel.NativeSupported)
            Assert.True(SomeProjectionTakesTheDotPath(cfg!, batch.B * batch.T), $"{fixture}: no projection shape takes the VDPBF16PS path");
        var wide = Run(false);
        Assert.Equal(wide, dotLogits);
        int v = wide.Length / (batch.B * batch.T);
        double err = batch.MaxRelativeError(dotLogits, v);
        Assert.True(err <= 3e-2, $"{fixture}: bf16 logits vs the float64 reference {err:E2}");
    }

    /// <summary>
    /// Whether the entry routes one of the model's projections (x·Wᵀ over all B·T tokens, on autocast's bf16-exact
    /// activations) to the dot kernel: without that this test would compare the widening path with itself.
    /// </summary>
    private static bool SomeProjectionTakesTheDotPath(ModelConfig cfg, int rows)
    {
        int h = cfg.HiddenSize, q = cfg.NumHeads * cfg.HeadDim, kv = cfg.NumKvHeads * cfg.HeadDim, im = cfg.IntermediateSize;
        foreach (var (n, k) in new[] { (q, h), (kv, h), (h, q), (im, h), (h, im), (cfg.VocabSize, h) })
        {
            var x = GemmTestData.RandF(91, (long)rows * k).Select(v => DTypeConvert.Bf16ToFloat(DTypeConvert.FloatToBf16(v))).ToArray();
            fixed (float* px = x)
                if (Gemm.Bf16RouteOf(true, false, true, rows, n, k, px, k) == Gemm.Bf16Route.Dot) return true;
        }
        return false;
    }
}
