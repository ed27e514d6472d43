using System.Text.Json.Nodes;
using Engine.Methods.Training;
using Engine.Methods.Training.Checkpoints;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Sampling;
using Engine.Runtime;
using static Engine.Tests.Training.ToyTraining;

namespace Engine.Tests.Training;

public class StatefulSamplerTests
{
    [Fact]
    public void MixtureFollowsTheWeightsAndEachDomainIsShuffledWithoutRepeatsPerPass()
    {
        var domains = Enumerable.Range(0, 60).Select(i => i % 3).ToArray();
        var s = new DomainMixtureSampler(domains, [7, 2, 1], stepBatchSize: 100, seed: 4);
        Assert.Equal([0.7, 0.2, 0.1], s.Weights.Select(w => Math.Round(w, 12)));
        var counts = new int[3];
        for (long step = 0; step < 20; step++) foreach (var i in s.NextBatch(step)) counts[domains[i]]++;
        Assert.InRange(counts[0] / 2000.0, 0.66, 0.74);
        Assert.InRange(counts[1] / 2000.0, 0.17, 0.23);
        Assert.InRange(counts[2] / 2000.0, 0.08, 0.12);

        // All from domain 2 once the weights say so; its 20 members come in a shuffled order, each once per pass.
        s.SetWeights([0, 0, 1]);
        var pass = s.NextBatch(20).Take(20).ToArray();
        Assert.All(pass, i => Assert.Equal(2, domains[i]));
        Assert.NotEqual(pass.Order(), pass);
        var fresh = new DomainMixtureSampler(domains, [0, 0, 1], 20, seed: 4);
        var first = fresh.NextBatch(0);
        Assert.Equal(Enumerable.Range(0, 20).Select(k => 3 * k + 2), first.Order());
        Assert.NotEqual(first, fresh.NextBatch(1));   // the second pass is reshuffled

        Assert.Equal(3, new DomainMixtureSampler([0, 0, 2], [1, 0, 1], 2, 1).Domains);                  // an empty domain with weight 0 is fine
        Assert.Throws<ArgumentException>(() => new DomainMixtureSampler([0, 0], [1, 1], 2, 1));          // domain 1 empty but weighted
        Assert.Throws<ArgumentException>(() => s.SetWeights([1, double.NaN, 1]));
    }

    [Fact]
    public void SavedStateContinuesTheSameStream()
    {
        var domains = Enumerable.Range(0, 23).Select(i => i % 4).ToArray();
        var a = new DomainMixtureSampler(domains, [1, 2, 3, 4], 6, seed: 9);
        for (long step = 0; step < 5; step++) { a.NextBatch(step); a.SetWeights([step + 1, 1, 2.0 / 3, 1e-3]); }
        var b = new DomainMixtureSampler(domains, [1, 1, 1, 1], 6, seed: 9);
        b.LoadState(JsonNode.Parse(a.SaveState().ToJsonString())!);
        Assert.Equal(a.Weights, b.Weights);
        for (long step = 5; step < 12; step++) Assert.Equal(a.NextBatch(step), b.NextBatch(step));
        Assert.Equal(a.Used, b.Used);
    }

    /// <summary>
    /// DRO's shape: after every step, the per-domain training losses (an EMA, registered state) set the sampler's
    /// mixture, softmax(η·ℓ), so the batches of the next step depend on the losses of this one.
    /// </summary>
    private sealed class LossDrivenMixtureTrainer : SftTrainer
    {
        private readonly DomainMixtureSampler _sampler;
        private readonly int[] _domains;
        private double[] _ema;
        private readonly double[] _sum, _count;

        public LossDrivenMixtureTrainer(TrainableModel m, IReadOnlyList<SftExample> data, TrainerOptions o, int[] domains, DomainMixtureSampler sampler)
            : base(m, data, o, sampler)
        {
            _sampler = sampler; _domains = domains;
            _ema = new double[sampler.Domains]; _sum = new double[sampler.Domains]; _count = new double[sampler.Domains];
            RegisterState("domain_losses", () => new MethodState(new JsonArray(_ema.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray())),
                s => _ema = s.Json!.AsArray().Select(x => x!.GetValue<double>()).ToArray());
        }

        protected override void AfterMicroBatch(TrainingStepContext ctx)
        {
            var pt = ctx.PerTokenLoss!.Detach().ToDoubleArray();
            int t = ctx.Batch!.Time;
            for (int r = 0; r < ctx.ExampleIndices.Count; r++)
            {
                int d = _domains[ctx.ExampleIndices[r]];
                for (int j = 0; j < t; j++) _sum[d] += pt[r * t + j];
                _count[d] += ctx.Batch.CountedTokens[r];
            }
        }

        protected override void OnStepEnd(StepMetrics metrics)
        {
            for (int d = 0; d < _ema.Length; d++)
                if (_count[d] > 0) _ema[d] = _ema[d] == 0 ? _sum[d] / _count[d] : 0.9 * _ema[d] + 0.1 * _sum[d] / _count[d];
            Array.Clear(_sum); Array.Clear(_count);
            var e = _ema.Select(x => Math.Exp(3 * x)).ToArray();
            _sampler.SetWeights(e);
        }
    }

    private sealed class Recorder(DomainMixtureSampler sampler) : ITrainerCallback
    {
        public readonly Dictionary<long, List<int>> Batches = [];
        public readonly Dictionary<long, double[]> Weights = [];
        public void OnMicroBatch(TrainingStepContext ctx)
        {
            if (!Batches.TryGetValue(ctx.Step, out var l)) Batches[ctx.Step] = l = [];
            l.AddRange(ctx.ExampleIndices);
        }
        public void OnStepEnd(StepMetrics m) => Weights[m.Step] = [.. sampler.Weights];
    }

    private sealed class Crash : Exception;

    [Fact]
    public void InterruptedAndResumedRunEqualsTheUninterruptedOneBitForBitWithTheMixtureChangingEveryStep()
    {
        const int steps = 9, saveAt = 3;
        var data = ReverseTask(12);
        var domains = Enumerable.Range(0, data.Count).Select(i => i % 3).ToArray();
        DomainMixtureSampler Sampler() => new(domains, [1, 1, 1], stepBatchSize: 4, seed: 17);
        TrainerOptions Opts(string dir) => new()
        {
            LearningRate = 1e-2, Schedule = LrScheduleKind.Constant, BatchSize = 2, GradientAccumulation = 2, MaxSteps = steps,
            SaveSteps = saveAt, OutputDir = dir, LogSteps = 1, Seed = 17,
        };
        var straightDir = TempDir(); var resumedDir = TempDir();
        try
        {
            var ss = Sampler(); var sm = new TrainableModel(Model(61));
            var straightLog = new Recorder(ss);
            var straight = new LossDrivenMixtureTrainer(sm, data, Opts(straightDir), domains, ss);
            straight.Callbacks.Add(straightLog);
            var sr = straight.Train();
            for (long s = 2; s <= steps; s++)
                Assert.True(straightLog.Weights[s].Zip(straightLog.Weights[s - 1]).Any(p => Math.Abs(p.First - p.Second) > 1e-6), $"mixture unchanged at step {s}");

            var first = new LossDrivenMixtureTrainer(new TrainableModel(Model(61)), data, Opts(resumedDir), domains, Sampler());
            first.Callbacks.Add(new StepHook(m => { if (m.Step == 2 * saveAt + 1) throw new Crash(); }));
            Assert.Throws<Crash>(() => first.Train());
            Assert.Equal(2 * saveAt, CheckpointStore.List(resumedDir)[^1].Step);
            Assert.NotNull(CheckpointJson.Read(Path.Combine(CheckpointStore.Latest(resumedDir)!, "sampler.json"))["state"]?["weights"]);

            var rs = Sampler(); var rm = new TrainableModel(Model(61));
            var resumedLog = new Recorder(rs);
            var resumed = new LossDrivenMixtureTrainer(rm, data, Opts(resumedDir), domains, rs);
            resumed.Callbacks.Add(resumedLog);
            var rr = resumed.Train(resume: true);

            var a = Snapshot(sm); var b = Snapshot(rm);
            for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
            Assert.Equal(sr.History.Select(h => h.Loss), rr.History.Select(h => h.Loss));
            for (long s = 2 * saveAt; s < steps; s++) Assert.Equal(straightLog.Batches[s], resumedLog.Batches[s]);
            Assert.Equal(ss.Weights, rs.Weights);
            Assert.Equal(ss.Used, rs.Used);
        }
        finally
        {
            if (Directory.Exists(straightDir)) Directory.Delete(straightDir, true);
            if (Directory.Exists(resumedDir)) Directory.Delete(resumedDir, true);
        }
    }
}
