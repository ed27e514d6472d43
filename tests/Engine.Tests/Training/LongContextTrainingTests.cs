using Engine.Methods.Training;
using Engine.Methods.Training.Checkpoints;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Preference;
using Engine.Models.Lora;
using Engine.Runtime;
using static Engine.Tests.Training.ToyTraining;

namespace Engine.Tests.Training;

/// <summary>
/// The trainer switches for long contexts: <see cref="TrainerOptions.GradientCheckpointing"/> trains the same model bit
/// for bit and resumes exactly; <see cref="TrainerOptions.LossChunkTokens"/> trains the same model to rounding.
/// </summary>
public class LongContextTrainingTests
{
    private static TrainerOptions Options(bool ckpt, int? chunk = 0) => new()
    {
        LearningRate = 5e-3, BatchSize = 2, GradientAccumulation = 2, MaxSteps = 3, LogSteps = 0, Seed = 4, WeightDecay = 0.1,
        GradientCheckpointing = ckpt, LossChunkTokens = chunk,
    };

    private static TrainableModel Fresh(bool lora, ulong seed = 11)
    {
        var m = Model(seed);
        if (!lora) return new TrainableModel(m);
        m.AttentionDropout = 0.1; m.HiddenDropout = 0.1;
        return new TrainableModel(m, LoraModel.Apply(m, new LoraConfig { Rank = 2, Alpha = 4, Dropout = 0.1, TargetModules = ["all-linear"] }, seed: 5));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]   // LoRA with adapter, attention and residual dropout: the reruns must replay every mask
    public void SftWithGradientCheckpointingTrainsTheSameModelBitForBit(bool lora)
    {
        var data = ReverseTask(8);
        var plain = Fresh(lora); var ckpt = Fresh(lora);
        var rp = new SftTrainer(plain, data, Options(false)).Train();
        var rc = new SftTrainer(ckpt, data, Options(true)).Train();
        Assert.True(ckpt.Model.GradientCheckpointing);
        Assert.Equal(rp.History.Select(h => h.Loss), rc.History.Select(h => h.Loss));
        Assert.Equal(rp.History.Select(h => h.GradNorm), rc.History.Select(h => h.GradNorm));
        var a = Snapshot(plain); var b = Snapshot(ckpt);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
        Assert.Contains(Enumerable.Range(0, a.Length), i => !a[i].SequenceEqual(Snapshot(Fresh(lora))[i]));
    }

    [Fact]
    public void DpoWithGradientCheckpointingTrainsTheSameModelBitForBit()
    {
        var data = new List<PreferenceExample>
        {
            new(Ids("cat."), Ids("tac."), Ids("cta.")), new(Ids("dog."), Ids("god."), Ids("dgo.")),
            new(Ids("sun."), Ids("nus."), Ids("snu.")), new(Ids("map."), Ids("pam."), Ids("mpa.")),
        };
        float[][] Run(bool ckpt)
        {
            var m = Fresh(false);
            new DpoTrainer(m, data, Options(ckpt) with { MaxSteps = 2 }, new DpoOptions { Beta = 0.5 }).Train();
            return Snapshot(m);
        }
        var a = Run(false); var b = Run(true);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
    }

    [Fact]
    public void SftWithTheChunkedLossTrainsTheSameModelToRounding()
    {
        var data = ReverseTask(8);
        var plain = Fresh(false); var chunked = Fresh(false);
        var rp = new SftTrainer(plain, data, Options(false)).Train();
        var trainer = new SftTrainer(chunked, data, Options(false, chunk: 3));
        int seen = 0;
        trainer.Callbacks.Add(new MicroBatchHook(ctx => { Assert.Null(ctx.Logits); Assert.NotNull(ctx.PerTokenLoss); seen++; }));
        var rc = trainer.Train();
        Assert.Equal(6, seen);
        for (int i = 0; i < 3; i++) Assert.Equal(rp.History[i].Loss, rc.History[i].Loss, 5);
        var a = Snapshot(plain); var b = Snapshot(chunked);
        for (int i = 0; i < a.Length; i++)
            for (int j = 0; j < a[i].Length; j++) Assert.True(Math.Abs(a[i][j] - b[i][j]) <= 1e-5, $"tensor {i}[{j}]: {a[i][j]} vs {b[i][j]}");
    }

    [Fact]
    public void SftDefaultsToTheFusedLossOnCpuInF32AndToFullLogitsUnderAutocast()
    {
        var data = ReverseTask(4);
        var unset = Options(false) with { LossChunkTokens = null, MaxSteps = 1 };
        (bool logits, float[][] weights) Run(Engine.Runtime.DType? compute, int? chunk)
        {
            var m = Fresh(false);
            m.Model.ComputeDType = compute;
            var trainer = new SftTrainer(m, data, unset with { LossChunkTokens = chunk });
            bool? sawLogits = null;
            trainer.Callbacks.Add(new MicroBatchHook(ctx => { Assert.NotNull(ctx.PerTokenLoss); sawLogits = ctx.Logits is not null; }));
            trainer.Train();
            return (sawLogits!.Value, Snapshot(m));
        }
        var f32 = Fresh(false).Model;
        Assert.True(f32.FusesLinearCrossEntropy);
        Assert.Equal(Engine.Models.Transformer.TransformerModel.DefaultLossChunkTokens, f32.AutoLossChunkTokens);
        var (autoLogits, auto) = Run(null, null);
        Assert.False(autoLogits);                                   // f32 on the CPU: the fused loss, no logits kept
        var (_, explicit512) = Run(null, Engine.Models.Transformer.TransformerModel.DefaultLossChunkTokens);
        for (int i = 0; i < auto.Length; i++) Assert.Equal(explicit512[i], auto[i]);

        var bf16 = Fresh(false).Model;
        bf16.ComputeDType = Engine.Runtime.DType.BF16;
        Assert.False(bf16.FusesLinearCrossEntropy);
        Assert.Equal(0, bf16.AutoLossChunkTokens);
        Assert.True(Run(Engine.Runtime.DType.BF16, null).logits);   // under autocast: the full logits
        Assert.False(Run(Engine.Runtime.DType.BF16, 3).logits);     // unless a chunk is asked for
    }

    [Fact]
    public void ARunWithGradientCheckpointingResumesExactly()
    {
        const int n = 2;
        var data = ReverseTask(10);
        TrainerOptions O(string dir) => Options(true) with { MaxSteps = 2 * n, SaveSteps = n, OutputDir = dir, Schedule = LrScheduleKind.Cosine };
        var straightDir = TempDir(); var resumedDir = TempDir();
        try
        {
            var straightModel = Fresh(true);
            var straight = new SftTrainer(straightModel, data, O(straightDir)).Train();

            var first = new SftTrainer(Fresh(true), data, O(resumedDir));
            first.Callbacks.Add(new StepHook(m => { if (m.Step == n + 1) throw new OperationCanceledException(); }));
            Assert.Throws<OperationCanceledException>(() => first.Train());
            Assert.Equal(n, CheckpointStore.List(resumedDir).Single().Step);

            var resumedModel = Fresh(true);
            var resumed = new SftTrainer(resumedModel, data, O(resumedDir)).Train(resume: true);
            Assert.Equal(straight.History.Select(h => h.Loss), resumed.History.Select(h => h.Loss));
            var a = Snapshot(straightModel); var b = Snapshot(resumedModel);
            for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
        }
        finally
        {
            if (Directory.Exists(straightDir)) Directory.Delete(straightDir, true);
            if (Directory.Exists(resumedDir)) Directory.Delete(resumedDir, true);
        }
    }

    [Fact]
    public void NegativeChunkIsRefused() =>
        Assert.Contains("loss chunk", Assert.Throws<ArgumentException>(() => Options(false, -1).Validate()).Message);
}
