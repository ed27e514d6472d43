using System.Text.Json.Nodes;
using Engine.Models.Config;
using Engine.Models.Transformer;
using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Models;

/// <summary>Attention-probability and residual dropout in the decoder: training mode only, Philox-driven, resumable.</summary>
public class DecoderDropoutTests
{
    private static readonly Tensor Ids = Tensor.FromArray(new long[] { 3, 9, 1, 14, 7, 22, 5, 11, 2, 8, 19, 6, 13, 4 }, 2, 7);
    private static readonly Tensor Mask = Tensor.FromArray(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }, 2, 7);

    private static TransformerModel WithDropout(double attention, double hidden, DType dtype = DType.F32)
    {
        var model = HookModels.Tiny(dtype);
        model.AttentionDropout = attention;
        model.HiddenDropout = hidden;
        model.DropoutGenerator = new Generator(42);
        return model;
    }

    private static float[] Logits(TransformerModel m)
    {
        using var _ = Autograd.NoGrad();
        return m.Forward(Ids, Mask).ToFloatArray();
    }

    [Fact]
    public void EvalModeDropsNothing()
    {
        var model = WithDropout(0.3, 0.3);
        var plain = Logits(HookModels.Tiny(DType.F32));
        Assert.False(model.Training);
        Assert.Equal(plain, Logits(model));
        Assert.Equal(0UL, model.DropoutGenerator.Offset);
    }

    [Theory]
    [InlineData(0.3, 0.0)]
    [InlineData(0.0, 0.3)]
    [InlineData(0.2, 0.2)]
    public void TrainingModeDrawsNewMasksEachForwardAndAnOffsetReplaysThem(double attention, double hidden)
    {
        var model = WithDropout(attention, hidden);
        model.Training = true;
        var plain = Logits(HookModels.Tiny(DType.F32));
        var first = Logits(model);
        var afterFirst = model.DropoutGenerator.Offset;
        var second = Logits(model);
        Assert.NotEqual(plain, first);
        Assert.NotEqual(first, second);
        Assert.True(afterFirst > 0 && model.DropoutGenerator.Offset > afterFirst);
        // A trainer checkpoints the offset; restoring it gives the same masks again.
        model.DropoutGenerator.Offset = 0;
        Assert.Equal(first, Logits(model));
        model.DropoutGenerator = new Generator(42) { Offset = afterFirst };
        Assert.Equal(second, Logits(model));
    }

    [Fact]
    public void WithDropoutOffTwoTrainingViewsAreIdentical()
    {
        var model = WithDropout(0, 0);
        var inference = Logits(model);
        model.Training = true;
        var firstView = Logits(model);
        var secondView = Logits(model);
        Assert.Equal(inference, firstView);
        Assert.Equal(firstView, secondView);
        Assert.Equal(0UL, model.DropoutGenerator.Offset);
    }

    [Fact]
    public void ComposedAttentionEqualsTheFusedKernel()
    {
        // GQA (4 query heads over 2), a decode-shaped query (Tq < Tk) and a padded key, in f64.
        var q = Rand.N(1, DType.F64, 2, 4, 3, 8);
        var k = Rand.N(2, DType.F64, 2, 2, 5, 8);
        var v = Rand.N(3, DType.F64, 2, 2, 5, 8);
        var keyMask = Tensor.FromArray(new long[] { 1, 1, 1, 1, 1, 0, 1, 1, 1, 1 }, 2, 5);
        var fused = Ops.Attention(q, k, v, causal: true, keyMask).ToDoubleArray();
        var mask = AttentionMask.Build(keyMask, 2, 4, 3, 5, DType.F64, Device.Cpu);
        Assert.Null(mask.Visible);
        Close.All(fused, ComposedAttention.Forward(q, k, v, mask, 0, new Generator(1)).ToDoubleArray(), 1e-12, 1e-12);
        // Left padding: rows whose only keys are padding give zeros in both.
        var left = Tensor.FromArray(new long[] { 0, 0, 0, 1, 1, 1, 1, 1, 1, 1 }, 2, 5);
        var qs = Rand.N(4, DType.F64, 2, 4, 5, 8);
        var leftMask = AttentionMask.Build(left, 2, 4, 5, 5, DType.F64, Device.Cpu);
        Assert.NotNull(leftMask.Visible);
        Close.All(Ops.Attention(qs, k, v, causal: true, left).ToDoubleArray(), ComposedAttention.Forward(qs, k, v, leftMask, 0, new Generator(1)).ToDoubleArray(), 1e-12, 1e-12);
    }

    [Fact]
    public void AttentionDropoutZerosProbabilitiesAtTheRateAsked()
    {
        // One query over many keys with v = identity rows: the output row is the (dropped) probability row itself.
        int tk = 2000;
        var q = Tensor.Zeros([1, 1, 1, tk], DType.F64);
        var k = Tensor.Zeros([1, 1, tk, tk], DType.F64);
        var eye = new double[tk * tk];
        for (int i = 0; i < tk; i++) eye[i * tk + i] = 1;
        var v = Tensor.FromArray(eye, 1, 1, tk, tk);
        var mask = AttentionMask.Build(null, 1, 1, 1, tk, DType.F64, Device.Cpu);
        var probs = ComposedAttention.Forward(q, k, v, mask, 0.25, new Generator(9)).ToDoubleArray();
        double zeros = probs.Count(p => p == 0) / (double)tk;
        Assert.InRange(zeros, 0.22, 0.28);
        Assert.All(probs.Where(p => p != 0), p => Assert.Equal(1.0 / tk / 0.75, p, 12));
    }

    [Fact]
    public void DecoderWithDropoutMatchesFiniteDifferences()
    {
        var model = WithDropout(0.2, 0.2, DType.F64);
        model.Training = true;
        model.RequireGrad();
        var targets = Tensor.FromArray(new long[] { 9, 1, 14, 7, 22, 5, -100, 2, 8, 19, 6, -100, -100, -100 }, 2, 7);
        var checkedParams = model.Parameters.Where(kv => kv.Key.Contains("layers.1") || kv.Key.Contains("embed") || kv.Key.Contains("layers.0.self_attn"))
            .Select(kv => kv.Value).ToArray();
        // Each evaluation restarts the generator, so every forward sees the same (fixed) dropout masks.
        GradCheck.Check(_ =>
        {
            model.DropoutGenerator.Offset = 0;
            return Ops.CrossEntropy(model.Forward(Ids, Mask), targets).Reshape(1);
        }, checkedParams, maxPerInput: 5, rtol: 1e-5, atol: 1e-8);
        // The function checked is the dropped one: the same forward in eval mode gives another loss.
        using var _ = Autograd.NoGrad();
        model.DropoutGenerator.Offset = 0;
        var trainLoss = Ops.CrossEntropy(model.Forward(Ids, Mask), targets).Item();
        model.Training = false;
        Assert.NotEqual(trainLoss, Ops.CrossEntropy(model.Forward(Ids, Mask), targets).Item());
    }

    [Fact]
    public void ConfigReadsAndWritesTheDropoutRates()
    {
        JsonObject Json(params (string k, JsonNode v)[] extra)
        {
            var o = new JsonObject
            {
                ["model_type"] = "llama", ["hidden_size"] = 16, ["intermediate_size"] = 20, ["num_hidden_layers"] = 1,
                ["num_attention_heads"] = 4, ["vocab_size"] = 23,
            };
            foreach (var (k, v) in extra) o[k] = v;
            return o;
        }
        var cfg = ModelConfig.FromJson(Json(("attention_dropout", 0.1), ("hidden_dropout", 0.05)));
        Assert.Equal((0.1, 0.05), (cfg.AttentionDropout, cfg.HiddenDropout));
        var model = TransformerModel.CreateRandom(cfg, 1);
        Assert.Equal((0.1, 0.05), (model.AttentionDropout, model.HiddenDropout));
        var again = ModelConfig.FromJson(cfg.ToJson());
        Assert.Equal((0.1, 0.05), (again.AttentionDropout, again.HiddenDropout));
        Assert.Equal(0.2, ModelConfig.FromJson(Json(("resid_pdrop", 0.2))).HiddenDropout);
        Assert.Equal((0.0, 0.0), (ModelConfig.FromJson(Json()).AttentionDropout, ModelConfig.FromJson(Json()).HiddenDropout));
        var e = Assert.Throws<InvalidDataException>(() => ModelConfig.FromJson(Json(("attention_dropout", 1.5))));
        Assert.Contains("attention_dropout", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.HiddenDropout = 1);
    }
}
