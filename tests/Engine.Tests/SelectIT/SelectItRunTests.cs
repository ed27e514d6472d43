using System.Diagnostics;
using Engine.Methods.Selection.SelectIT;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Evaluation.Experiments;

namespace Engine.Tests.SelectIT;

public class SelectItRunTests
{
    private static string Temp() => Path.Combine(Path.GetTempPath(), "engine-selectit-" + Guid.NewGuid().ToString("N"));

    private static (string model, string input) Setup(string root)
    {
        var records = TestbedGenerator.Generate(new TestbedOptions { N = 24, Noise = 0.3, Seed = 4 });
        var model = TestbedExperiment.MakeTinyModel(Path.Combine(root, "m"), TestbedExperiment.ChatText(records), new TestbedExperiment.TinyModelSize(Hidden: 32, Layers: 1, Intermediate: 64, Vocab: 300), seed: 1);
        var input = Path.Combine(root, "data.jsonl");
        TestbedWriter.Write(records, input, TestbedFormat.Alpaca, hideHidden: true);
        return (model, input);
    }

    /// <summary>Marks a finished job output as killed part-way: its first <paramref name="keep"/> lines, a torn next line, an unfinished manifest.</summary>
    internal static void Interrupt(string output, int keep)
    {
        var lines = File.ReadAllLines(output);
        File.WriteAllText(output, string.Concat(lines.Take(keep).Select(l => l + "\n")) + lines[keep][..(lines[keep].Length / 2)]);
        var manifest = Engine.Methods.Core.Jobs.JobManifest.TryRead(output)!;
        (manifest with { Complete = false, Records = null, Lines = null }).Write(output);
    }

    [Fact]
    public void InterruptedAndResumedRunEqualsAnUninterruptedOne()
    {
        var root = Temp();
        try
        {
            var (model, input) = Setup(root);
            var opts = new SelectItOptions { Models = [model, model], ModelWeights = [1, 3], Ratio = 0.25, BatchSize = 5 };
            var runner = new SelectItRunner(opts);
            string workA = Path.Combine(root, "a"), workB = Path.Combine(root, "b");
            runner.Score(input, workA);
            runner.Merge(input, workA, Path.Combine(root, "selA.jsonl"), Path.Combine(root, "scoresA.jsonl"));

            // A crash: model 0 finished 10 records and was killed half-way through writing the 11th; model 1 never started.
            runner.Score(input, workB);
            Interrupt(SelectItRunner.ModelOutput(workB, 0), 10);
            File.Delete(SelectItRunner.ModelOutput(workB, 1));
            File.Delete(SelectItRunner.ModelOutput(workB, 1) + ".job.json");
            // Without --resume the partial work is not touched.
            Assert.Throws<Engine.Methods.Core.Jobs.JobException>(() => runner.Score(input, workB));
            runner.Score(input, workB, resume: true);
            runner.Merge(input, workB, Path.Combine(root, "selB.jsonl"), Path.Combine(root, "scoresB.jsonl"));

            Assert.Equal(File.ReadAllBytes(SelectItRunner.ModelOutput(workA, 0)), File.ReadAllBytes(SelectItRunner.ModelOutput(workB, 0)));
            Assert.Equal(File.ReadAllText(Path.Combine(root, "selA.jsonl")), File.ReadAllText(Path.Combine(root, "selB.jsonl")));
            Assert.Equal(File.ReadAllText(Path.Combine(root, "scoresA.jsonl")), File.ReadAllText(Path.Combine(root, "scoresB.jsonl")));
            Assert.Equal(6, File.ReadAllLines(Path.Combine(root, "selA.jsonl")).Length);
            var png = File.ReadAllBytes(Path.Combine(root, "scoresA.png"));
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }

    [Fact]
    public void ShardsMergeToTheSameScoresAndSelectionAsOneRun()
    {
        var root = Temp();
        try
        {
            var (model, input) = Setup(root);
            var one = new SelectItRunner(new SelectItOptions { Models = [model], Ratio = 0.5, BatchSize = 4 });
            one.Score(input, Path.Combine(root, "w1"));
            one.Merge(input, Path.Combine(root, "w1"), Path.Combine(root, "s1.jsonl"), Path.Combine(root, "c1.jsonl"));
            var shardWork = Path.Combine(root, "w3");
            for (int i = 0; i < 3; i++)
                new SelectItRunner(new SelectItOptions { Models = [model], Ratio = 0.5, BatchSize = 4, Shard = new(i, 3) }).Score(input, shardWork);
            var merger = new SelectItRunner(new SelectItOptions { Models = [model], Ratio = 0.5 });
            merger.Merge(input, shardWork, Path.Combine(root, "s3.jsonl"), Path.Combine(root, "c3.jsonl"));
            // Batches of fixed shape: every score is bit-identical to the one-run score, not just the ranking.
            Assert.Equal(File.ReadAllBytes(SelectItRunner.ModelOutput(Path.Combine(root, "w1"), 0)), File.ReadAllBytes(SelectItRunner.ModelOutput(shardWork, 0)));
            Assert.Equal(File.ReadAllText(Path.Combine(root, "c1.jsonl")), File.ReadAllText(Path.Combine(root, "c3.jsonl")));
            Assert.Equal(File.ReadAllText(Path.Combine(root, "s1.jsonl")), File.ReadAllText(Path.Combine(root, "s3.jsonl")));

            // A missing shard is an error that says which, not a silently smaller selection.
            File.Delete(Engine.Methods.Core.Jobs.Shard.Parse("2/3").PathOf(SelectItRunner.ModelOutput(shardWork, 0)));
            var e = Assert.Throws<Engine.Methods.Core.Jobs.JobException>(() => merger.Merge(input, shardWork, Path.Combine(root, "s4.jsonl"), Path.Combine(root, "c4.jsonl")));
            Assert.Contains("shard 2/3: missing", e.Message);
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }

    /// <summary>The README's main job, exactly as a new user runs it: the CLI builds the default model on first use and selects from the shipped sample.</summary>
    [Fact]
    public async Task ReadmeMainJobRunsOnTheEmbeddedDefaultModel()
    {
        var root = Temp();
        try
        {
            var repo = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(repo, "Engine.sln"))) repo = Path.GetDirectoryName(repo)!;
            var output = Path.Combine(root, "selected.jsonl");
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = repo };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "engine.dll"), "selectit", "--input", "examples/testbed-sample.jsonl", "--output", output })
                psi.ArgumentList.Add(a);
            psi.Environment["ENGINE_HOME"] = Path.Combine(root, "home");
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEnd();
            Assert.True(p.WaitForExit(300_000), "engine selectit did not finish in 5 minutes");
            var err = await stderr;
            Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}\n{stdout}\n{err}");
            Assert.Contains("kept 12 of 60 records", stdout);
            Assert.Equal(12, File.ReadAllLines(output).Length);
            Assert.Equal(60, File.ReadAllLines(output + ".scores.jsonl").Length);
            Assert.True(File.Exists(Path.Combine(root, "home", Engine.Methods.Evaluation.DefaultModel.Version, ".complete")));
            // The scores file feeds `engine testbed score` directly (id + score per record).
            var scores = Engine.Methods.Evaluation.Testbed.TestbedReader.ReadScores(output + ".scores.jsonl");
            Assert.Equal(60, scores.Count);
            // The README quotes the AUC a fresh clone gets (`engine testbed score` on these files); it must stay true.
            var key = Engine.Methods.Evaluation.Testbed.TestbedReader.ReadKey(Path.Combine(repo, "examples", "testbed-sample.key.jsonl")).ToDictionary(p => p.Key, p => p.Value.Corrupted);
            double auc = Engine.Methods.Evaluation.Testbed.SelectionScoring.Evaluate(scores, key, null, true).Auc;
            var quoted = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(Path.Combine(repo, "README.md")), @"\(AUC (0\.\d\d) with the default model");
            Assert.True(quoted.Success, "README.md no longer quotes the default model's AUC in the expected words");
            Assert.Equal(quoted.Groups[1].Value, auc.ToString("F2", System.Globalization.CultureInfo.InvariantCulture));
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }
}
