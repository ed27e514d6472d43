using System.Security.Cryptography;
using Engine.Methods.Evaluation;
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Training;
using Engine.Methods.Training.Checkpoints;
using Engine.Methods.Training.Data;
using Engine.Models;
using Engine.Runtime;
using static Engine.Tests.Training.ToyTraining;

namespace Engine.Tests.Determinism;

/// <summary>
/// A seed gives the same bytes whatever the thread count and wherever the work runs: SFT with 1, 2 and 3 threads, the
/// default-model build repeated with other thread counts, and a run resumed with another thread count. Each run goes on
/// its own thread with its stack shifted differently, as separate processes (randomised stacks) and thread-pool
/// threads would place it. The model is big enough that the GEMMs, the loss rows and the attention split over threads.
/// </summary>
public class ThreadCountTests
{
    private static readonly TestbedExperiment.TinyModelSize Size = new(Hidden: 64, Layers: 2, Heads: 4, KvHeads: 2, Intermediate: 160, Vocab: 400);

    private static IReadOnlyList<TestbedRecord> Records(int n) =>
        TestbedGenerator.Generate(new TestbedOptions { N = n, MinDifficulty = 1, MaxDifficulty = 2, Seed = 31, Split = TestbedSplit.Train });

    private static TrainerOptions Options => new()
    {
        LearningRate = 3e-3, Schedule = LrScheduleKind.Cosine, WarmupRatio = 0.1, MaxSteps = 12, BatchSize = 16, MaxLength = 160, Seed = 4, LogSteps = 1000,
    };

    private static string Hash(string file) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));

    private static T WithThreads<T>(int threads, int pad, Func<T> body) => StackShift.OnNewThread(pad, () =>
    {
        using var _ = CpuThreads.Pin(threads);
        return body();
    });

    [Fact]
    public void SftWritesTheSameModelWithOneTwoAndThreeThreads()
    {
        var root = TempDir();
        try
        {
            var records = Records(300);
            var baseDir = TestbedExperiment.MakeTinyModel(Path.Combine(root, "base"), TestbedExperiment.ChatText(records), Size, seed: 8);
            var hashes = new[] { (1, 0), (2, 16), (3, 48) }.Select(r => WithThreads(r.Item1, r.Item2, () =>
            {
                var outDir = Path.Combine(root, $"t{r.Item1}");
                TestbedExperiment.Sft(baseDir, records, outDir, Options);
                return Hash(Path.Combine(outDir, "model.safetensors"));
            })).ToArray();
            Assert.NotEqual(Hash(Path.Combine(baseDir, "model.safetensors")), hashes[0]); // it trained
            Assert.All(hashes, h => Assert.Equal(hashes[0], h));
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }

    [Fact]
    public void BuildingTheDefaultModelTwiceGivesTheSameFiles()
    {
        var root = TempDir();
        var recipe = new DefaultModel.Recipe(Size, CorpusRecords: 300, SftRecords: 200, Steps: 8, BatchSize: 8, MaxLength: 160);
        try
        {
            string[] Build(int threads, int pad) => WithThreads(threads, pad, () =>
            {
                var dir = Path.Combine(root, $"t{threads}-p{pad}");
                DefaultModel.Build(dir, recipe);
                return Directory.GetFiles(dir).Order(StringComparer.Ordinal).Select(f => Path.GetFileName(f) + " " + Hash(f)).ToArray();
            });
            var first = Build(1, 0);
            Assert.Contains(first, f => f.StartsWith("model.safetensors ", StringComparison.Ordinal));
            Assert.Equal(first, Build(1, 32));
            Assert.Equal(first, Build(2, 16));
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }

    [Fact]
    public void ResumingWithAnotherThreadCountIsExact()
    {
        var root = TempDir();
        try
        {
            var records = Records(300);
            var baseDir = TestbedExperiment.MakeTinyModel(Path.Combine(root, "base"), TestbedExperiment.ChatText(records), Size, seed: 9);
            var data = Path.Combine(root, "train.jsonl");
            TestbedWriter.Write(records, data, TestbedFormat.Chat, hideHidden: true);
            TrainerOptions Opts(string dir) => Options with { OutputDir = dir, SaveSteps = 6, SaveTotalLimit = 1 };
            SftTrainer Trainer(string dir)
            {
                var bundle = ModelBundle.Load(baseDir);
                var (examples, _) = TrainingDataset.LoadSft([data], ExampleTokenizer.FromModel(bundle));
                return new SftTrainer(new TrainableModel(bundle.Model, null, baseDir), examples, Opts(dir) with { PadTokenId = bundle.Tokenizer.PadTokenId ?? 0 });
            }
            string straightDir = Path.Combine(root, "straight"), resumedDir = Path.Combine(root, "resumed");
            WithThreads(2, 0, () => Trainer(straightDir).Train());
            WithThreads(2, 16, () =>
            {
                var t = Trainer(resumedDir);
                t.Callbacks.Add(new StepHook(m => { if (m.Step == 7) throw new OperationCanceledException("crash after the checkpoint"); }));
                return Assert.Throws<OperationCanceledException>(() => t.Train());
            });
            Assert.Equal(6, CheckpointStore.List(resumedDir).Single().Step);
            WithThreads(1, 32, () => Trainer(resumedDir).Train(resume: true));
            Assert.Equal(Hash(Path.Combine(straightDir, "model.safetensors")), Hash(Path.Combine(resumedDir, "model.safetensors")));
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }
}
