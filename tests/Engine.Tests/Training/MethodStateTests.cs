using System.Text.Json.Nodes;
using Engine.Methods.Training;
using Engine.Methods.Training.Checkpoints;
using Engine.Methods.Training.Data;
using Engine.Runtime;
using static Engine.Tests.Training.ToyTraining;

namespace Engine.Tests.Training;

/// <summary>
/// CCL's shape on the trainer: per-example weights recomputed at each epoch start from the per-example losses logged
/// during the previous epoch, multiplying both the LM loss (example means) and a per-example consistency-like term
/// whose per-row factors come from a registered generator. Weights and log are registered method state.
/// </summary>
public class MethodStateTests
{
    private sealed class CurriculumWeightsTrainer : SftTrainer
    {
        public double[] Weights, Logged;
        public int EpochsSeen;
        public readonly Generator Noise;
        private readonly bool _restoreIsNoOp;

        public CurriculumWeightsTrainer(TrainableModel m, IReadOnlyList<SftExample> data, TrainerOptions o,
            bool registerState = true, bool registerGenerator = true, bool restoreIsNoOp = false)
            : base(m, data, o, sft: new SftOptions { Normalization = SftLossNormalization.ExampleMean })
        {
            Weights = Enumerable.Repeat(1.0, data.Count).ToArray();
            Logged = new double[data.Count];
            Noise = new Generator(o.Seed + 100);
            _restoreIsNoOp = restoreIsNoOp;
            if (registerState) RegisterState("ccl_weights", Save, Restore);
            if (registerGenerator) RegisterGenerator("consistency_noise", Noise);
        }

        private MethodState Save() => new(new JsonObject { ["epochs_seen"] = EpochsSeen },
            new Dictionary<string, Tensor> { ["weights"] = Tensor.FromArray(Weights), ["logged"] = Tensor.FromArray(Logged) });

        private void Restore(MethodState s)
        {
            if (_restoreIsNoOp) return;
            EpochsSeen = s.Json!["epochs_seen"]!.GetValue<int>();
            Weights = s.Tensor("weights").ToArray<double>();
            Logged = s.Tensor("logged").ToArray<double>();
        }

        protected override double ExampleWeight(bool training, int index) => training ? Weights[index] : 1.0;

        protected override void OnEpochBegin(int epoch)
        {
            EpochsSeen++;
            if (epoch == 0) return;
            // CCL Eq. 3/5 with a fixed proficiency C: S = (L − min)/max, w = exp(1 − |C − S|) − 1.
            double min = Logged.Min(), max = Logged.Max();
            for (int i = 0; i < Weights.Length; i++) Weights[i] = Math.Exp(1 - Math.Abs(0.5 - (Logged[i] - min) / max)) - 1;
        }

        private static Tensor RowMeans(Tensor perToken, TokenBatch batch)
        {
            var inv = batch.CountedTokens.Select(c => 1.0 / Math.Max(1, c)).ToArray();
            return Ops.Mul(Ops.Sum(Ops.Mul(perToken, batch.CountedMask(perToken.DType)), 1), Tensor.FromArray(inv).To(perToken.DType));
        }

        protected override IEnumerable<ExtraLoss> ExtraLosses(TrainingStepContext ctx)
        {
            int b = ctx.ExampleIndices.Count;
            var u = new float[b];
            Philox.FillUniform(Noise.Seed, Noise.Take(b), u);
            var factor = Tensor.FromArray(u.Select(x => 0.5f + x).ToArray());
            var squared = Ops.Mul(ctx.PerTokenLoss!, ctx.PerTokenLoss!);
            yield return ExtraLoss.PerExample("consistency", Ops.Mul(RowMeans(squared, ctx.Batch!), factor));
        }

        protected override void AfterMicroBatch(TrainingStepContext ctx)
        {
            var means = RowMeans(ctx.PerTokenLoss!.Detach(), ctx.Batch!).ToDoubleArray();
            for (int i = 0; i < means.Length; i++) Logged[ctx.ExampleIndices[i]] = means[i];
        }
    }

    private static TrainerOptions Options(string dir) => new()
    {
        LearningRate = 5e-3, Schedule = LrScheduleKind.Linear, BatchSize = 2, GradientAccumulation = 2, MaxSteps = 8,
        SaveSteps = 4, OutputDir = dir, LogSteps = 1, Seed = 13,
    };

    private sealed class Crash : Exception;

    [Fact]
    public void PerEpochWeightsAndGeneratorResumeExactlyOnlyThroughTheirRegisteredState()
    {
        var data = ReverseTask(10);   // 3 steps per epoch (4, 4, 2 examples): the checkpoint at step 4 is mid-epoch 1
        var straightDir = TempDir(); var resumedDir = TempDir(); var lostDir = TempDir();
        try
        {
            var sm = new TrainableModel(Model(51));
            var straight = new CurriculumWeightsTrainer(sm, data, Options(straightDir));
            var sr = straight.Train();
            Assert.Equal(3, straight.EpochsSeen);
            Assert.True(straight.Weights.Distinct().Count() > 5, "epoch 2's weights differ per example");
            Assert.True(sr.History[0].Extra["consistency"] > 0);

            CurriculumWeightsTrainer Interrupted(string dir)
            {
                var first = new CurriculumWeightsTrainer(new TrainableModel(Model(51)), data, Options(dir));
                first.Callbacks.Add(new StepHook(m => { if (m.Step == 5) throw new Crash(); }));
                Assert.Throws<Crash>(() => first.Train());
                return first;
            }
            Interrupted(resumedDir);
            var stateDir = Path.Combine(CheckpointStore.Latest(resumedDir)!, MethodState.Folder);
            Assert.True(File.Exists(Path.Combine(stateDir, "ccl_weights.json")));
            Assert.True(File.Exists(Path.Combine(stateDir, "ccl_weights.safetensors")));

            var rm = new TrainableModel(Model(51));
            var resumed = new CurriculumWeightsTrainer(rm, data, Options(resumedDir));
            var rr = resumed.Train(resume: true);
            var a = Snapshot(sm); var b = Snapshot(rm);
            for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
            Assert.Equal(sr.History.Select(h => h.Loss), rr.History.Select(h => h.Loss));
            Assert.Equal(straight.Weights, resumed.Weights);
            Assert.Equal(straight.Logged, resumed.Logged);
            Assert.Equal(straight.EpochsSeen, resumed.EpochsSeen);
            Assert.Equal(straight.Noise.Offset, resumed.Noise.Offset);

            // Without its state restored the same resume trains elsewhere: the registration is what makes it exact.
            Interrupted(lostDir);
            var lm = new TrainableModel(Model(51));
            new CurriculumWeightsTrainer(lm, data, Options(lostDir), restoreIsNoOp: true).Train(resume: true);
            Assert.Contains(Enumerable.Range(0, a.Length), i => !a[i].SequenceEqual(Snapshot(lm)[i]));
        }
        finally
        {
            foreach (var d in new[] { straightDir, resumedDir, lostDir }) if (Directory.Exists(d)) Directory.Delete(d, true);
        }
    }

    [Fact]
    public void StateRoundTripsBitForBitAndAResumeWithoutItFailsWithItsName()
    {
        var data = ReverseTask(6);
        var dir = TempDir();
        try
        {
            var o = Options(dir) with { MaxSteps = 2, SaveSteps = 2 };
            var json = new JsonObject { ["third"] = 1.0 / 3, ["pi"] = Math.PI, ["tiny"] = 1e-300, ["nested"] = new JsonObject { ["k"] = new JsonArray(1, 2, 3) } };
            double[] f64 = [1.0 / 3, -Math.E, 1e-310, 123456789.123456789];
            float[] f32 = [1f / 3, -7.25e-20f];
            MethodState? restored = null;
            SftTrainer Trainer(string d) { var t = new SftTrainer(new TrainableModel(Model(52)), data, o with { OutputDir = d }); return t; }
            var writer = Trainer(dir);
            writer.RegisterState("numbers", () => new MethodState(json, new Dictionary<string, Tensor> { ["f64"] = Tensor.FromArray(f64), ["f32"] = Tensor.FromArray(f32, 2, 1) }), _ => { });
            writer.Train();
            var reader = Trainer(dir);
            reader.RegisterState("numbers", () => new MethodState(), s => restored = s);
            reader.LoadCheckpoint(CheckpointStore.Latest(dir)!);
            Assert.Equal(json.ToJsonString(), restored!.Json!.ToJsonString());
            Assert.Equal(1.0 / 3, restored.Json!["third"]!.GetValue<double>());
            Assert.Equal(f64, restored.Tensor("f64").ToArray<double>());
            Assert.Equal(DType.F64, restored.Tensor("f64").DType);
            Assert.Equal(f32, restored.Tensor("f32").ToArray<float>());
            Assert.Equal([2, 1], restored.Tensor("f32").Shape.ToArray());

            // Registered but not in the checkpoint, and in the checkpoint but not registered: clear errors naming it.
            var missing = Trainer(dir);
            missing.RegisterState("numbers", () => new MethodState(), _ => { });
            missing.RegisterState("ccl_weights", () => new MethodState(), _ => { });
            var e = Assert.Throws<InvalidDataException>(() => missing.Train(resume: true));
            Assert.Contains("no method state 'ccl_weights'", e.Message);
            e = Assert.Throws<InvalidDataException>(() => Trainer(dir).Train(resume: true));
            Assert.Contains("method state 'numbers'", e.Message);
            var gen = Trainer(dir);
            gen.RegisterState("numbers", () => new MethodState(), _ => { });
            gen.RegisterGenerator("model_dropout", new Generator(1));
            e = Assert.Throws<InvalidDataException>(() => gen.Train(resume: true));
            Assert.Contains("no generator 'model_dropout'", e.Message);
            Assert.Throws<ArgumentException>(() => Trainer(dir).RegisterState("../escape", () => new MethodState(), _ => { }));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
