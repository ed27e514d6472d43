using Engine.Methods.Training;
using Engine.Methods.Training.Checkpoints;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Optimization;
using Engine.Models.Lora;
using Engine.Runtime;
using static Engine.Tests.Training.ToyTraining;

namespace Engine.Tests.Training;

/// <summary>
/// DRPruning's min–max set-up in miniature: the model and a "mask" scalar a descend, a Lagrange multiplier λ ascends
/// L = CE + λ·(a − t). ∂L/∂λ = a − t and ∂L/∂a = λ, so the first AdamW step of each is ±lr·g/(|g| + ε).
/// </summary>
public class ParameterGroupTests
{
    private const double Target = 0.5, A0 = 1.0, Lambda0 = 0.2;

    private sealed class LagrangianTrainer : SftTrainer
    {
        public readonly Tensor A = Tensor.FromArray([(float)A0], 1), Lambda = Tensor.FromArray([(float)Lambda0], 1);

        public LagrangianTrainer(TrainableModel m, IReadOnlyList<SftExample> data, TrainerOptions o, Func<string, ParameterGroup, ParameterGroup>? edit = null,
            bool withGroups = true) : base(m, data, o)
        {
            if (!withGroups) return;
            edit ??= (_, g) => g;
            AddParameterGroup(edit("mask", new ParameterGroup { Name = "mask", Parameters = [new("log_alpha", A)], LearningRate = 0.02 }));
            AddParameterGroup(edit("lambda", new ParameterGroup { Name = "lambda", Parameters = [new("lambda_1", Lambda)], LearningRate = 0.05, Direction = OptimizeDirection.Maximize }));
        }

        protected override IEnumerable<ExtraLoss> ExtraLosses(TrainingStepContext ctx)
        {
            if (ParameterGroups.Count == 0) yield break;
            yield return ExtraLoss.Mean("lagrangian", Ops.Sum(Ops.Mul(Lambda, Ops.AddScalar(A, -Target))));
        }
    }

    private static TrainerOptions Options(int steps = 1) => new()
    {
        LearningRate = 1e-3, Schedule = LrScheduleKind.Constant, BatchSize = 4, MaxSteps = steps, MaxGradNorm = 0, WeightDecay = 0, LogSteps = 0, Seed = 5,
    };

    [Fact]
    public void AscentGroupMovesUpItsGradientWhileTheModelMovesDownEachWithItsOwnRate()
    {
        var model = new TrainableModel(Model(41));
        var before = Snapshot(model);
        var trainer = new LagrangianTrainer(model, ReverseTask(4), Options());
        float[]? gradW = null; double gradLambda = 0, gradA = 0;
        trainer.Callbacks.Add(new MicroBatchHook(_ =>
        {
            gradW = model.Trainable[0].Value.Grad!.ToArray<float>();
            gradLambda = trainer.Lambda.Grad!.Item(); gradA = trainer.A.Grad!.Item();
        }));
        trainer.Train();

        // The gradients are the Lagrangian's (independent of the trainer): ∂/∂λ = a − t, ∂/∂a = λ.
        Assert.Equal(A0 - Target, gradLambda, 6);
        Assert.Equal(Lambda0, gradA, 6);
        // λ goes up its gradient by its own rate 0.05 (AdamW step 1: lr·g/(|g| + ε)); a goes down by its rate 0.02.
        double eps = 1e-8;
        Assert.Equal(Lambda0 + 0.05 * gradLambda / (Math.Abs(gradLambda) + eps), trainer.Lambda.Item(), 6);
        Assert.Equal(A0 - 0.02 * gradA / (Math.Abs(gradA) + eps), trainer.A.Item(), 6);
        // The model goes down its gradient, every clearly non-zero element by the model's rate 1e-3.
        var after = Snapshot(model);
        int checkedElements = 0;
        for (int j = 0; j < gradW!.Length; j++)
        {
            if (Math.Abs(gradW[j]) < 1e-4) continue;
            double step = after[0][j] - before[0][j];
            Assert.True(step * gradW[j] < 0, $"element {j}: gradient {gradW[j]}, step {step}");
            Assert.Equal(1e-3, Math.Abs(step), 5);
            checkedElements++;
        }
        Assert.True(checkedElements > 10, $"only {checkedElements} elements had a clear gradient");
    }

    /// <summary>L = l1·(a − t) + l2·(a − t)² + ½(a − 2)² over two groups: a descends, (l1, l2) ascend (tests/fixtures/training).</summary>
    private sealed class MinMaxTrainer : SftTrainer
    {
        public readonly Tensor A = Tensor.FromArray([1f], 1), L = Tensor.FromArray([0f, 0f], 2);
        private readonly double _t;

        public MinMaxTrainer(TrainableModel m, IReadOnlyList<SftExample> data, TrainerOptions o, double t, double lr, double beta1, double beta2, double eps) : base(m, data, o)
        {
            _t = t;
            AddParameterGroup(new ParameterGroup { Name = "a", Parameters = [new("a", A)], LearningRate = lr, Beta1 = beta1, Beta2 = beta2, Epsilon = eps });
            AddParameterGroup(new ParameterGroup { Name = "lambda", Parameters = [new("lambda", L)], LearningRate = lr, Beta1 = beta1, Beta2 = beta2, Epsilon = eps, Direction = OptimizeDirection.Maximize });
        }

        protected override IEnumerable<ExtraLoss> ExtraLosses(TrainingStepContext ctx)
        {
            var gap = Ops.AddScalar(A, -_t);
            var gaps = Ops.Mul(Ops.Cat([gap, Ops.Mul(gap, gap)], 0), L);
            var pull = Ops.AddScalar(A, -2);
            yield return ExtraLoss.Mean("lagrangian", Ops.Add(Ops.Sum(gaps), Ops.Scale(Ops.Sum(Ops.Mul(pull, pull)), 0.5)));
        }
    }

    [Fact]
    public void MinMaxTrajectoryMatchesTorchAdamWWithANegativeGroupLearningRate()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !Directory.Exists(Path.Combine(dir, "tests", "fixtures"))) dir = Path.GetDirectoryName(dir);
        var fx = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir!, "tests", "fixtures", "training", "minmax_adamw.json")))!;
        var steps = fx["steps"]!.AsArray();
        var betas = fx["betas"]!.AsArray();
        var trainer = new MinMaxTrainer(new TrainableModel(Model(45)), ReverseTask(4), Options(steps.Count), fx["target"]!.GetValue<double>(),
            fx["lr"]!.GetValue<double>(), betas[0]!.GetValue<double>(), betas[1]!.GetValue<double>(), fx["eps"]!.GetValue<double>());
        var got = new List<(float a, float[] l)>();
        trainer.Callbacks.Add(new StepHook(_ => got.Add((trainer.A.ToArray<float>()[0], trainer.L.ToArray<float>()))));
        trainer.Train();
        for (int k = 0; k < steps.Count; k++)
        {
            Assert.Equal(steps[k]!["a"]!.GetValue<double>(), got[k].a, 6);
            var l = steps[k]!["lambda"]!.AsArray();
            for (int j = 0; j < 2; j++) Assert.Equal(l[j]!.GetValue<double>(), got[k].l[j], 6);
        }
    }

    [Fact]
    public void GroupScheduleClippingAndSignReachTheMoments()
    {
        var dir = TempDir();
        try
        {
            // a: own schedule (half its rate at step 0), clipped with the model to a tiny global norm.
            // λ: clipped on its own to 0.1, ascending (its moments hold the negated clipped gradient).
            var model = new TrainableModel(Model(42));
            var trainer = new LagrangianTrainer(model, ReverseTask(4), Options() with { MaxGradNorm = 1e-3, OutputDir = dir, SaveSteps = 1 },
                (name, g) => name == "mask" ? g with { Schedule = k => k == 0 ? 0.5 : 1.0 } : g with { Clipping = GroupClipping.Own, MaxGradNorm = 0.1 });
            var r = trainer.Train();
            var m = r.History[0];
            // The reported norm counts the model and a (clipped with it), not λ (clipped on its own).
            var modelOnly = new LagrangianTrainer(new TrainableModel(Model(42)), ReverseTask(4), Options(), withGroups: false).Train().History[0].GradNorm;
            Assert.Equal(Math.Sqrt(modelOnly * modelOnly + Lambda0 * Lambda0), m.GradNorm, 5);
            Assert.Equal(Lambda0, m.Extra["grad_norm/mask"], 6);
            Assert.Equal(A0 - Target, m.Extra["grad_norm/lambda"], 6);
            Assert.Equal(0.5 * 0.02, m.Extra["lr/mask"], 12);
            Assert.Equal(0.05, m.Extra["lr/lambda"], 12);
            Assert.Equal(1e-3, m.LearningRate, 12);

            var moments = SafeTensorsDictionary.ReadAll(Path.Combine(CheckpointStore.Latest(dir)!, "optimizer.safetensors"));
            double factor = 1e-3 / (m.GradNorm + 1e-6);   // torch's clip_grad_norm_ scale
            Assert.Equal(0.1 * Lambda0 * factor, moments["group.mask.0.exp_avg"].Item(), 9);
            Assert.Equal(0.1 * -(0.1 * (A0 - Target) / (A0 - Target + 1e-6)), moments["group.lambda.0.exp_avg"].Item(), 7);
            // a's first step under its own schedule: half of 0.02 on its clipped gradient.
            double ga = Lambda0 * factor;
            Assert.Equal(A0 - 0.01 * ga / (ga + 1e-8), trainer.A.Item(), 6);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    private sealed class Crash : Exception;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ResumeRestoresGroupValuesAndMomentsBitForBit(bool lora)
    {
        const int n = 3;
        var data = ReverseTask(10);
        var o = Options(2 * n) with { BatchSize = 2, GradientAccumulation = 2, MaxGradNorm = 1.0, SaveSteps = n, Schedule = LrScheduleKind.Cosine, WarmupSteps = 1 };
        TrainableModel Fresh()
        {
            var m = Model(43);
            return lora ? new TrainableModel(m, LoraModel.Apply(m, new LoraConfig { Rank = 2, Alpha = 4, TargetModules = ["q_proj"] }, seed: 3)) : new TrainableModel(m);
        }
        var straightDir = TempDir(); var resumedDir = TempDir();
        try
        {
            var straightModel = Fresh();
            var straight = new LagrangianTrainer(straightModel, data, o with { OutputDir = straightDir });
            var sr = straight.Train();

            var first = new LagrangianTrainer(Fresh(), data, o with { OutputDir = resumedDir });
            first.Callbacks.Add(new StepHook(m => { if (m.Step == n + 1) throw new Crash(); }));
            Assert.Throws<Crash>(() => first.Train());
            var resumedModel = Fresh();
            var resumed = new LagrangianTrainer(resumedModel, data, o with { OutputDir = resumedDir });
            var rr = resumed.Train(resume: true);

            Assert.Equal(straight.Lambda.ToArray<float>(), resumed.Lambda.ToArray<float>());
            Assert.Equal(straight.A.ToArray<float>(), resumed.A.ToArray<float>());
            var a = Snapshot(straightModel); var b = Snapshot(resumedModel);
            for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
            Assert.Equal(sr.History.Select(h => h.Loss), rr.History.Select(h => h.Loss));
            Assert.NotEqual((float)Lambda0, resumed.Lambda.Item());

            // A run that does not register the groups cannot resume a checkpoint that has them, and the other way round.
            var e = Assert.Throws<InvalidDataException>(() => new LagrangianTrainer(Fresh(), data, o with { OutputDir = resumedDir }, withGroups: false).Train(resume: true));
            Assert.Contains("parameter group 'mask'", e.Message);
            var plainDir = TempDir();
            try
            {
                new SftTrainer(Fresh(), data, o with { OutputDir = plainDir, MaxSteps = n }).Train();
                e = Assert.Throws<InvalidDataException>(() => new LagrangianTrainer(Fresh(), data, o with { OutputDir = plainDir }).Train(resume: true));
                Assert.Contains("no parameter group 'mask'", e.Message);
            }
            finally { Directory.Delete(plainDir, true); }
        }
        finally
        {
            if (Directory.Exists(straightDir)) Directory.Delete(straightDir, true);
            if (Directory.Exists(resumedDir)) Directory.Delete(resumedDir, true);
        }
    }

    [Fact]
    public void BadGroupsAreRefusedWithTheirName()
    {
        var model = new TrainableModel(Model(44));
        var t = new SftTrainer(model, ReverseTask(4), Options());
        var x = Tensor.FromArray([1f], 1);
        Assert.Contains("learning rate", Assert.Throws<ArgumentException>(() => t.AddParameterGroup(new ParameterGroup { Name = "l", Parameters = [new("x", x)], LearningRate = -1 })).Message);
        Assert.Contains("already optimised", Assert.Throws<ArgumentException>(() => t.AddParameterGroup(new ParameterGroup { Name = "w", Parameters = [model.Trainable[0]], LearningRate = 1 })).Message);
        Assert.Contains("MaxGradNorm", Assert.Throws<ArgumentException>(() => t.AddParameterGroup(new ParameterGroup { Name = "c", Parameters = [new("x", x)], LearningRate = 1, Clipping = GroupClipping.Own })).Message);
        t.AddParameterGroup(new ParameterGroup { Name = "ok", Parameters = [new("x", x)], LearningRate = 1 });
        Assert.Contains("already registered", Assert.Throws<ArgumentException>(() => t.AddParameterGroup(new ParameterGroup { Name = "ok", Parameters = [new("y", Tensor.FromArray([1f], 1))], LearningRate = 1 })).Message);
        t.Train();
        Assert.Throws<InvalidOperationException>(() => t.AddParameterGroup(new ParameterGroup { Name = "late", Parameters = [new("z", Tensor.FromArray([1f], 1))], LearningRate = 1 }));
    }
}
