using Engine.Models.Lora;
using Engine.Models.Transformer;
using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Models;

/// <summary>
/// <see cref="TransformerModel.GradientCheckpointing"/>: the backward through rerun layers gives the plain path's
/// gradients bit for bit (with padding, dropout and LoRA), and matches finite differences in f64.
/// </summary>
public class GradientCheckpointingTests
{
    private static readonly Tensor Ids = Tensor.FromArray(new long[] { 3, 9, 1, 14, 7, 22, 5, 11, 2, 8, 19, 6, 13, 4 }, 2, 7);
    private static readonly Tensor Mask = Tensor.FromArray(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }, 2, 7);
    private static readonly Tensor Targets = Tensor.FromArray(new long[] { 9, 1, 14, 7, 22, 5, -100, 8, 19, 6, -100, -100, -100, -100 }, 14);

    private static double LossAndBackward(TransformerModel m)
    {
        var loss = Ops.CrossEntropy(m.Forward(Ids, Mask).Reshape(14, m.Config.VocabSize), Targets);
        loss.Backward();
        return loss.Item();
    }

    private static void AssertSameGradients(IEnumerable<KeyValuePair<string, Tensor>> plain, IEnumerable<KeyValuePair<string, Tensor>> ckpt)
    {
        var b = ckpt.ToDictionary();
        int nonZero = 0;
        foreach (var (name, p) in plain)
        {
            var ga = p.Grad?.ToFloatArray(); var gb = b[name].Grad?.ToFloatArray();
            Assert.True(ga is not null && gb is not null, $"{name}: a gradient is missing");
            Assert.True(ga!.SequenceEqual(gb!), $"{name}: gradients differ");
            if (ga.Any(v => v != 0)) nonZero++;
        }
        Assert.True(nonZero > 10);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.2, 0.1)]
    public void FullFineTuningGradientsAreBitwiseThoseOfThePlainPath(double attentionDropout, double hiddenDropout)
    {
        TransformerModel Make(bool ckpt)
        {
            var m = HookModels.Tiny(DType.F32);
            m.RequireGrad();
            m.AttentionDropout = attentionDropout; m.HiddenDropout = hiddenDropout;
            m.DropoutGenerator = new Generator(5);
            m.Training = true;
            m.GradientCheckpointing = ckpt;
            return m;
        }
        var plain = Make(false); var ckpt = Make(true);
        double lp = LossAndBackward(plain), lc = LossAndBackward(ckpt);
        Assert.Equal(lp, lc);
        AssertSameGradients(plain.Parameters, ckpt.Parameters);
        // The rerun rewound the dropout stream: both models stand at the same offset, ready for the next step.
        Assert.Equal(plain.DropoutGenerator.Offset, ckpt.DropoutGenerator.Offset);
    }

    [Fact]
    public void LoraWithDropoutOnAFrozenBaseGetsTheSameAdapterGradients()
    {
        (TransformerModel, LoraModel) Make(bool ckpt)
        {
            var m = HookModels.Tiny(DType.F32);
            var lora = LoraModel.Apply(m, new LoraConfig { Rank = 2, Alpha = 4, Dropout = 0.25, TargetModules = ["all-linear"] }, seed: 3);
            // B starts at zero; move it so the A gradients are not zero.
            using (Autograd.NoGrad())
                foreach (var l in lora.Layers) Tensor.RandN(l.B.Shape, 8, 0.3).CopyTo(l.B);
            m.Training = true;
            m.GradientCheckpointing = ckpt;
            return (m, lora);
        }
        var (pm, pl) = Make(false); var (cm, cl) = Make(true);
        Assert.Equal(LossAndBackward(pm), LossAndBackward(cm));
        AssertSameGradients(pl.Parameters, cl.Parameters);
        Assert.Equal(pl.DropoutGenerator.Offset, cl.DropoutGenerator.Offset);
        Assert.NotEqual(0UL, cl.DropoutGenerator.Offset);
    }

    [Fact]
    public void BackwardThroughCheckpointedLayersMatchesFiniteDifferences()
    {
        var model = HookModels.Tiny(DType.F64, layers: 3);
        model.RequireGrad();
        model.GradientCheckpointing = true;
        var checkedParams = model.Parameters.Where(kv => kv.Key.Contains("layers.0.") || kv.Key.Contains("layers.2.mlp") || kv.Key.Contains("embed"))
            .Select(kv => kv.Value).ToArray();
        GradCheck.Check(_ => Ops.CrossEntropy(model.Forward(Ids, Mask).Reshape(14, model.Config.VocabSize), Targets).Reshape(1),
            checkedParams, maxPerInput: 4, rtol: 1e-5, atol: 1e-8);
    }

    [Fact]
    public void InferenceIsUnchangedAndKeepsNoGraph()
    {
        var m = HookModels.Tiny(DType.F32);
        m.RequireGrad();
        var plain = m.Forward(Ids, Mask).ToFloatArray();
        m.GradientCheckpointing = true;
        var y = m.Forward(Ids, Mask);
        Assert.Equal(plain, y.ToFloatArray());
        Assert.Equal("Checkpoint", LayerNodeOf(y));
        using (Autograd.NoGrad()) Assert.Equal(plain, m.Forward(Ids, Mask).ToFloatArray());
    }

    // The op of the node that produced the last layer's output: RMSNorm(x) ← the last layer.
    private static string LayerNodeOf(Tensor logits)
    {
        var node = logits.GradFn!;
        while (node.Op != "Checkpoint")
        {
            var next = node.Inputs.FirstOrDefault(t => t.GradFn is not null);
            if (next is null) return "none";
            node = next.GradFn!;
        }
        return node.Op;
    }
}
