using Engine.Methods.Curriculum.CCL;
using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Models.Transformer;
using Engine.Runtime;
using Engine.Tests.Infrastructure;
using static Engine.Tests.Training.ToyTraining;

namespace Engine.Tests.Curriculum;

/// <summary>CCL's consistency and LM terms against plain-loop references, their f64 gradient, and the trainer's use of them.</summary>
public class CclConsistencyTests
{
    // Two rows; view B puts a longer (row 0) and a shorter (row 1) prompt before the same responses.
    private static readonly SftExample[] ViewA = [Sft("cat.", "tac."), Sft("jam.", "maj.")];
    private static readonly SftExample[] ViewB = [Sft("thecat.", "tac."), Sft("m.", "maj.")];

    private static double[] SoftmaxRow(double[] x, int at, int v)
    {
        double max = double.NegativeInfinity, z = 0;
        for (int k = 0; k < v; k++) max = Math.Max(max, x[at + k]);
        var p = new double[v];
        for (int k = 0; k < v; k++) z += p[k] = Math.Exp(x[at + k] - max);
        for (int k = 0; k < v; k++) p[k] /= z;
        return p;
    }

    /// <summary>Plain loops: for each row, the i-th response token of view A against the i-th of view B, KL(p‖q) + KL(q‖p), averaged.</summary>
    private static double[] ReferenceConsistency(double[] la, TokenBatch a, double[] lb, TokenBatch b, int v)
    {
        var ta = a.Targets.ToArray<long>(); var tb = b.Targets.ToArray<long>();
        var result = new double[a.Rows];
        for (int r = 0; r < a.Rows; r++)
        {
            var pa = Enumerable.Range(0, a.Time).Where(j => ta[r * a.Time + j] != LabelMask.Ignore).ToArray();
            var pb = Enumerable.Range(0, b.Time).Where(j => tb[r * b.Time + j] != LabelMask.Ignore).ToArray();
            Assert.Equal(pa.Length, pb.Length);
            double sum = 0;
            for (int i = 0; i < pa.Length; i++)
            {
                var p = SoftmaxRow(la, (r * a.Time + pa[i]) * v, v);
                var q = SoftmaxRow(lb, (r * b.Time + pb[i]) * v, v);
                for (int k = 0; k < v; k++) sum += (p[k] - q[k]) * (Math.Log(p[k]) - Math.Log(q[k]));
            }
            result[r] = sum / pa.Length;
        }
        return result;
    }

    [Fact]
    public void ConsistencyAlignsResponseTokensAcrossPromptLengthsAndMatchesPlainLoops()
    {
        var a = TokenBatch.FromSft(ViewA, 0, 0); var b = TokenBatch.FromSft(ViewB, 0, 0);
        Assert.NotEqual(a.Time, b.Time);
        const int v = 28;
        var la = Rand.N(1, DType.F64, a.Rows, a.Time, v); var lb = Rand.N(2, DType.F64, b.Rows, b.Time, v);
        var got = CclConsistency.PerExample(la, a, lb, b).ToDoubleArray();
        var expected = ReferenceConsistency(la.ToDoubleArray(), a, lb.ToDoubleArray(), b, v);
        for (int r = 0; r < 2; r++) Assert.Equal(expected[r], got[r], 10);
        Assert.All(got, x => Assert.True(x > 0.1));
        // Equal logits in both views: exactly zero.
        Assert.All(CclConsistency.PerExample(la, a, la, a).ToDoubleArray(), x => Assert.Equal(0.0, x));
    }

    [Fact]
    public void MeanNllIsEachRowsTokenMean()
    {
        var a = TokenBatch.FromSft(ViewB, 0, 0);
        const int v = 28;
        var logits = Rand.N(3, DType.F64, a.Rows, a.Time, v);
        var nll = CclConsistency.MeanNll(CclLoss.PerTokenCe(logits, a), a).ToDoubleArray();
        var l = logits.ToDoubleArray(); var t = a.Targets.ToArray<long>();
        for (int r = 0; r < a.Rows; r++)
        {
            var rows = Enumerable.Range(0, a.Time).Where(j => t[r * a.Time + j] != LabelMask.Ignore).ToArray();
            double expected = rows.Average(j => ReferenceCe(l, v, r * a.Time + j, (int)t[r * a.Time + j]));
            Assert.Equal(expected, nll[r], 10);
        }
    }

    /// <summary>A tiny f64 decoder with attention and residual dropout.</summary>
    private static TransformerModel DropoutModel(DType dtype, ulong seed = 5)
    {
        var m = TransformerModel.CreateRandom(Config(), seed, dtype);
        m.AttentionDropout = 0.2; m.HiddenDropout = 0.2;
        m.DropoutGenerator = new Generator(17);
        m.Training = true;
        return m;
    }

    [Fact]
    public void CclStepLossMatchesFiniteDifferencesInF64()
    {
        var model = DropoutModel(DType.F64);
        model.RequireGrad();
        // Row 0 has a paraphrase view, rows 1 and 2 the dropout view; weights and α are not 1, so a missing factor shows.
        SftExample[] a = [Sft("cat.", "tac."), Sft("dog.", "god."), Sft("owl.", "lwo.")];
        SftExample[] b = [Sft("thecat.", "tac."), a[1], a[2]];
        var ba = TokenBatch.FromSft(a, 0, 0); var bb = TokenBatch.FromSft(b, 0, 0);
        bool[] paraphrased = [true, false, false];
        double[] w = [0.4, 1.3, 0.9];
        var checkedParams = model.Parameters.Where(kv => kv.Key.Contains("layers.1") || kv.Key.Contains("embed") || kv.Key.Contains("layers.0.self_attn"))
            .Select(kv => kv.Value).ToArray();
        GradCheck.Check(_ =>
        {
            model.DropoutGenerator.Offset = 0;   // the same masks at every evaluation
            return CclLoss.Total(CclLoss.Compute(model, ba, bb, paraphrased), w, 0.7, 4).Reshape(1);
        }, checkedParams, maxPerInput: 5, rtol: 1e-5, atol: 1e-8);
        // The checked function really has both terms: its consistency part is not zero.
        using var _ = Autograd.NoGrad();
        model.DropoutGenerator.Offset = 0;
        Assert.All(CclLoss.Compute(model, ba, bb, paraphrased).Consistency.ToDoubleArray(), x => Assert.True(x > 1e-6));
    }

    [Fact]
    public void TrainerStepGradientIsTheCclLossGradient()
    {
        // Example 0 ("cat.") also has a paraphrased prompt: its second view is data-level, the others' the dropout view.
        var train = ReverseTask(8).Select(CclExample.Of).ToList();
        train[0] = train[0] with { View = Sft("thecat.", "tac.") };
        var valid = ReverseTask(3, 8).Select(CclExample.Of).ToList();
        var model = new TrainableModel(TransformerModel.CreateRandom(Config(), 5));
        var opts = new TrainerOptions { BatchSize = 8, MaxSteps = 1, LearningRate = 1e-3, Seed = 3, LogSteps = 0 };
        var trainer = new CclTrainer(model, train, valid, opts, new CclOptions { Alpha = 0.7, Dropout = 0.2 });
        ulong offset = 0; int[] idx = []; float[][] grads = [];
        trainer.Callbacks.Add(new EpochHook(() => offset = model.Model.DropoutGenerator.Offset));
        trainer.Callbacks.Add(new MicroBatchHook(ctx =>
        {
            idx = [.. ctx.ExampleIndices];
            grads = model.Trainable.Select(kv => kv.Value.Grad!.ToArray<float>()).ToArray();
        }));
        trainer.Train();
        Assert.True(offset > 0, "the epoch's measurement pass should have drawn dropout masks");
        var w = idx.Select(i => trainer.Weights[i]).ToArray();
        Assert.True(w.Max() - w.Min() > 1e-3, "the test needs unequal CCL weights");

        // The same step by hand: same initial weights, masks from the same stream position.
        var reference = TransformerModel.CreateRandom(Config(), 5);
        reference.RequireGrad();
        reference.AttentionDropout = 0.2; reference.HiddenDropout = 0.2;
        reference.DropoutGenerator = new Generator(model.Model.DropoutGenerator.Seed) { Offset = offset };
        reference.Training = true;
        var a = TokenBatch.FromSft(idx.Select(i => train[i].Example).ToArray(), 0, 0);
        var b = TokenBatch.FromSft(idx.Select(i => train[i].View ?? train[i].Example).ToArray(), 0, 0);
        CclLoss.Total(CclLoss.Compute(reference, a, b, idx.Select(i => train[i].View is not null).ToArray()), w, 0.7, idx.Length).Backward();
        var expected = reference.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value.Grad!.ToArray<float>());
        for (int k = 0; k < grads.Length; k++)
        {
            var e = expected[model.Trainable[k].Key];
            double scale = e.Max(x => Math.Abs(x)) + 1e-12;
            for (int j = 0; j < e.Length; j++)
                Assert.True(Math.Abs(e[j] - grads[k][j]) <= 1e-4 * scale, $"{model.Trainable[k].Key}[{j}]: trainer {grads[k][j]} vs CclLoss {e[j]}");
        }
    }

    [Fact]
    public void WithoutDropoutOrParaphrasesTheConsistencyIsExactlyZero()
    {
        var train = ReverseTask(8).Select(CclExample.Of).ToList();
        var valid = ReverseTask(3, 8).Select(CclExample.Of).ToList();
        var model = new TrainableModel(TransformerModel.CreateRandom(Config(), 5));
        var trainer = new CclTrainer(model, train, valid, new TrainerOptions { BatchSize = 4, MaxSteps = 3, LearningRate = 1e-3, LogSteps = 1 },
            new CclOptions { Dropout = 0 });
        Assert.False(model.HasDecoderDropout);
        var r = trainer.Train();
        Assert.All(r.History, h => { Assert.Equal(0.0, h.Extra[CclTrainer.KlStepMetric]); Assert.Equal(0.0, h.Extra["consistency"]); });
        Assert.All(trainer.Consistency, x => Assert.Equal(0.0, x));
        // Every difficulty and the proficiency are 0, so every weight is the maximum e − 1.
        Assert.All(trainer.Weights, x => Assert.Equal(Math.E - 1, x, 12));
        Assert.Equal(0.0, trainer.Epochs[0].Proficiency);
    }

    private sealed class EpochHook(Action onEpoch) : ITrainerCallback
    {
        public void OnEpochBegin(int epoch) { if (epoch == 0) onEpoch(); }
    }
}
