using Engine.Models.Transformer;
using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Models;

/// <summary>
/// <see cref="TransformerModel.ChunkedCrossEntropy"/> against the full-logits loss: the same per-position losses and
/// gradients to rounding (the blocks' matmuls have fewer rows; the LM head's gradient is summed block by block), and
/// finite differences in f64.
/// </summary>
public class ChunkedCrossEntropyTests
{
    private static readonly Tensor Ids = Tensor.FromArray(new long[] { 3, 9, 1, 14, 7, 22, 5, 11, 2, 8, 19, 6, 13, 4 }, 2, 7);
    private static readonly Tensor Targets = Tensor.FromArray(new long[] { 9, 1, 14, 7, 22, 5, -100, 8, 19, 6, -100, 13, 4, 0 }, 14);

    [Theory]
    [InlineData(false, 4)]   // 14 positions: blocks 4, 4, 4, 2
    [InlineData(true, 5)]    // tied: the LM head is the embedding, which also gets the embedding's gradient
    [InlineData(false, 14)]  // one block
    public void MatchesTheFullLogitsLoss(bool tied, int chunk)
    {
        var plain = HookModels.Tiny(DType.F32, tied: tied); plain.RequireGrad();
        var chunked = HookModels.Tiny(DType.F32, tied: tied); chunked.RequireGrad();

        var hp = plain.ForwardHidden(Ids).Reshape(14, 16);
        var lp = Ops.CrossEntropy(plain.Logits(hp), Targets, reduction: Reduction.None);
        var hc = chunked.ForwardHidden(Ids).Reshape(14, 16);
        var lc = chunked.ChunkedCrossEntropy(hc, Targets, chunk);
        // A block's logits come from a GEMM with fewer rows, whose edge tiles may round differently: equal to rounding.
        var (ep, ec) = (lp.ToFloatArray(), lc.ToFloatArray());
        for (int i = 0; i < ep.Length; i++) Assert.True(Math.Abs(ep[i] - ec[i]) <= 1e-6 * (1 + Math.Abs(ep[i])), $"loss[{i}]: {ep[i]} vs {ec[i]}");
        Assert.Equal(0f, ec[6]);

        var w = Tensor.RandN([14], 4, 1.0);
        Ops.Sum(Ops.Mul(lp, w)).Backward();
        Ops.Sum(Ops.Mul(lc, w)).Backward();
        var c = chunked.Parameters.ToDictionary();
        foreach (var (name, p) in plain.Parameters)
        {
            var a = p.Grad!.ToFloatArray(); var b = c[name].Grad!.ToFloatArray();
            // The LM head's gradient sums block by block, and each block's matmuls run at another size: equal to rounding.
            const double tol = 1e-5;
            for (int i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(a[i] - b[i]) <= tol * (1 + Math.Abs(a[i])), $"{name}[{i}]: {a[i]} vs {b[i]}");
        }
        Assert.Contains(c["model.layers.0.mlp.down_proj.weight"].Grad!.ToFloatArray(), g => g != 0);
    }

    [Fact]
    public void MatchesFiniteDifferencesInF64()
    {
        var model = HookModels.Tiny(DType.F64);
        model.RequireGrad();
        var ps = model.Parameters.Where(kv => kv.Key is "lm_head.weight" or "model.norm.weight" || kv.Key.Contains("layers.1.mlp.down")).Select(kv => kv.Value).ToArray();
        GradCheck.Check(_ => Ops.Mean(model.ChunkedCrossEntropy(model.ForwardHidden(Ids).Reshape(14, 16), Targets, 3)).Reshape(1),
            ps, maxPerInput: 6, rtol: 1e-5, atol: 1e-8);
    }

    [Fact]
    public void BadShapesAreClearErrors()
    {
        var m = HookModels.Tiny(DType.F32);
        var h = Tensor.RandN([14, 16], 1, 1.0);
        Assert.Contains("targets", Assert.Throws<ArgumentException>(() => m.ChunkedCrossEntropy(h, Tensor.FromArray(new long[] { 1, 2 }, 2), 4)).Message);
        Assert.Contains("hidden", Assert.Throws<ArgumentException>(() => m.ChunkedCrossEntropy(Tensor.RandN([14, 8], 1, 1.0), Targets, 4)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.ChunkedCrossEntropy(h, Targets, 0));
    }
}
