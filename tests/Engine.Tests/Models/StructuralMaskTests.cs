using Engine.Models.Transformer;
using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Models;

/// <summary>
/// The structural masks (hidden dims, heads, KV heads, MLP units, layers) against make_masked_reference.py's independent
/// masked forward, their identity when all ones, and their gradients.
/// </summary>
public class StructuralMaskTests
{
    public static TheoryData<string> Fixtures => ["qwen2_gqa", "llama_tied_bias"];

    private static double[] MaskedLogits(string fixture, DType dtype, StructuralMasks? masks)
    {
        var model = TransformerModel.Load(HookModels.PruningFixture(fixture), dtype: dtype);
        model.Masks = masks;
        var (ids, mask, _) = HookModels.FixtureBatch(fixture);
        using var _ = Autograd.NoGrad();
        return model.Forward(ids, mask).ToDoubleArray();
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void MaskedForwardMatchesTheIndependentReference(string fixture)
    {
        var f64 = MaskedLogits(fixture, DType.F64, HookModels.FixtureMasks(fixture, DType.F64));
        Assert.True(HookModels.MaxRelativeError(fixture, f64) <= 1e-10, $"f64 masked logits off by {HookModels.MaxRelativeError(fixture, f64):E2}");
        var f32 = MaskedLogits(fixture, DType.F32, HookModels.FixtureMasks(fixture, DType.F32));
        Assert.True(HookModels.MaxRelativeError(fixture, f32) <= 1e-5, $"f32 masked logits off by {HookModels.MaxRelativeError(fixture, f32):E2}");
        // The same checkpoint without masks gives the reference's unmasked logits, which the masks change a lot.
        var plain = MaskedLogits(fixture, DType.F64, null);
        Assert.True(HookModels.MaxRelativeError(fixture, plain, "unmasked_logits") <= 1e-10);
        Assert.True(HookModels.MaxRelativeError(fixture, plain) > 0.05, "the masks must matter for this comparison to mean something");
    }

    [Fact]
    public void MaskedForwardRunsUnderBf16Autocast()
    {
        // bf16 weights: the model's autocast scope rounds matmul operands, never the masks (they stay f32).
        var bf16 = MaskedLogits("qwen2_gqa", DType.BF16, HookModels.FixtureMasks("qwen2_gqa", DType.F32));
        Assert.True(HookModels.MaxRelativeError("qwen2_gqa", bf16) <= 3e-2, $"bf16 masked logits off by {HookModels.MaxRelativeError("qwen2_gqa", bf16):E2}");
    }

    [Fact]
    public void AllOnesMasksAreTheUnmaskedForward()
    {
        var model = HookModels.Tiny(DType.F64, layers: 3);
        var ids = Tensor.FromArray(new long[] { 3, 9, 1, 14, 7, 22, 5, 11, 2, 8, 19, 6, 13, 4 }, 2, 7);
        var mask = Tensor.FromArray(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }, 2, 7);
        using var _ = Autograd.NoGrad();
        var plain = model.Forward(ids, mask).ToDoubleArray();
        model.Masks = Ones(model, 1.0);
        Close.All(plain, model.Forward(ids, mask).ToDoubleArray(), 1e-13, 1e-13, "all-ones masks");
        model.Masks = new StructuralMasks();
        Assert.Equal(plain, model.Forward(ids, mask).ToDoubleArray());
    }

    private static StructuralMasks Ones(TransformerModel m, double value)
    {
        var c = m.Config;
        Tensor Full(params int[] shape) => Tensor.Full(shape, value, DType.F64);
        return new StructuralMasks
        {
            Hidden = Full(c.HiddenSize), Heads = Full(c.NumLayers, c.NumHeads), KvHeads = Full(c.NumLayers, c.NumKvHeads),
            Intermediate = Full(c.NumLayers, c.IntermediateSize), AttentionLayers = Full(c.NumLayers), MlpLayers = Full(c.NumLayers),
        };
    }

    /// <summary>Mask values in [0.5, 1.5] with the given entries set to exactly zero.</summary>
    private static Tensor Leaf(ulong seed, int[] shape, int[] zeros, bool grad = true)
    {
        var t = Tensor.RandUniform(shape, seed, 0.5, 1.5, DType.F64);
        foreach (var z in zeros) t.AsSpan<double>()[z] = 0;
        t.RequiresGrad = grad;
        return t;
    }

    [Fact]
    public void MaskGradientsMatchFiniteDifferences()
    {
        var model = HookModels.Tiny(DType.F64, layers: 2);
        var ids = Tensor.FromArray(new long[] { 3, 9, 1, 14, 7, 22, 5, 11, 2, 8, 19, 6, 13, 4 }, 2, 7);
        var mask = Tensor.FromArray(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }, 2, 7);
        var targets = Tensor.FromArray(new long[] { 9, 1, 14, 7, 22, 5, -100, 2, 8, 19, 6, -100, -100, -100 }, 2, 7);
        var c = model.Config;
        // Hidden without zeros here: a zero's finite difference would change the kept count of the norms (a step).
        var hidden = Leaf(1, [c.HiddenSize], []);
        var heads = Leaf(2, [2, 4], [1]);
        var kv = Leaf(3, [2, 2], [3]);
        var inter = Leaf(4, [2, c.IntermediateSize], [0, 7, 25]);
        var attn = Leaf(5, [2], []);
        var mlp = Leaf(6, [2], [1]);
        GradCheck.Check(x =>
        {
            model.Masks = new StructuralMasks { Hidden = x[0], Heads = x[1], KvHeads = x[2], Intermediate = x[3], AttentionLayers = x[4], MlpLayers = x[5] };
            return Ops.CrossEntropy(model.Forward(ids, mask), targets).Reshape(1);
        }, [hidden, heads, kv, inter, attn, mlp], maxPerInput: 16);
    }

    [Fact]
    public void MaskGradientsWithPrunedHiddenDimsMatchFiniteDifferences()
    {
        var model = HookModels.Tiny(DType.F64, layers: 2);
        var ids = Tensor.FromArray(new long[] { 3, 9, 1, 14, 7, 22, 5, 11, 2, 8, 19, 6, 13, 4 }, 2, 7);
        var targets = Tensor.FromArray(new long[] { 9, 1, 14, 7, 22, 5, -100, 8, 19, 6, 13, 4, 2, -100 }, 2, 7);
        var c = model.Config;
        var hidden = Leaf(7, [c.HiddenSize], [2, 5, 11], grad: false);
        var heads = Leaf(8, [2, 4], [0, 6]);
        var inter = Leaf(9, [2, c.IntermediateSize], [3]);
        var layers = Leaf(10, [2], []);
        GradCheck.Check(x =>
        {
            // DRPruning's single per-layer mask gates both blocks.
            model.Masks = new StructuralMasks { Hidden = hidden, Heads = x[0], Intermediate = x[1], AttentionLayers = x[2], MlpLayers = x[2] };
            return Ops.CrossEntropy(model.Forward(ids), targets).Reshape(1);
        }, [heads, inter, layers], maxPerInput: 16);
    }

    [Fact]
    public void WrongMaskShapesAreClearErrors()
    {
        var model = HookModels.Tiny(DType.F32);
        var e = Assert.Throws<ArgumentException>(() => model.Masks = new StructuralMasks { Heads = Tensor.Zeros([2, 2]) });
        Assert.Contains("Heads", e.Message);
        Assert.Contains("[2, 4]", e.Message);
        Assert.Throws<ArgumentException>(() => model.Masks = new StructuralMasks { Hidden = Tensor.FromArray(new long[16], 16) });
    }
}
