using System.Text.Json.Nodes;
using Engine.Cli.Commands;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Selection.SelectIT;

namespace Engine.Tests.SelectIT;

public class SelectItMergeTests
{
    private static string Temp() => Path.Combine(Path.GetTempPath(), "engine-selectit-" + Guid.NewGuid().ToString("N"));

    private static string Model(string root) => TestbedExperiment.MakeTinyModel(Path.Combine(root, "m"),
        TestbedExperiment.ChatText(TestbedGenerator.Generate(new TestbedOptions { N = 60, Seed = 4 })),
        new TestbedExperiment.TinyModelSize(Hidden: 32, Layers: 1, Intermediate: 64, Vocab: 300), seed: 1);

    [Fact]
    public void MergeWithAnotherAlphaRecomputesSentenceScoresFromTheTokenScores()
    {
        var root = Temp();
        try
        {
            var model = Model(root);
            var input = Path.Combine(root, "data.jsonl");
            TestbedWriter.Write(TestbedGenerator.Generate(new TestbedOptions { N = 16, Noise = 0.3, Seed = 4 }), input, TestbedFormat.Alpaca, hideHidden: true);
            var work = Path.Combine(root, "w");
            new SelectItRunner(new SelectItOptions { Models = [model], Alpha = 0.2 }).Score(input, work);
            new SelectItRunner(new SelectItOptions { Models = [model], Alpha = 0.2 }).Merge(input, work, Path.Combine(root, "s02.jsonl"), Path.Combine(root, "c02.jsonl"));
            new SelectItRunner(new SelectItOptions { Models = [model], Alpha = 3 }).Merge(input, work, Path.Combine(root, "s3.jsonl"), Path.Combine(root, "c3.jsonl"));
            var low = File.ReadAllLines(Path.Combine(root, "c02.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
            var high = File.ReadAllLines(Path.Combine(root, "c3.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
            Assert.All(Enumerable.Range(0, 16), i => Assert.True(high[i]["s_model"]!.GetValue<double>() < low[i]["s_model"]!.GetValue<double>()));   // a larger spread penalty lowers every score
            // By hand from the stored token scores: mean / (1 + α · population std).
            foreach (var line in high)
            {
                var t = line["s_token"]![0]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
                double mean = t.Average(), std = Math.Sqrt(t.Select(x => (x - mean) * (x - mean)).Average());
                Assert.Equal(mean / (1 + 3 * std), line["s_sent"]![0]!.GetValue<double>(), 12);
            }
            // The same as a fresh run with α = 3.
            var fresh = Path.Combine(root, "fresh");
            var r3 = new SelectItRunner(new SelectItOptions { Models = [model], Alpha = 3 });
            r3.Score(input, fresh);
            r3.Merge(input, fresh, Path.Combine(root, "sf.jsonl"), Path.Combine(root, "cf.jsonl"));
            Assert.Equal(File.ReadAllText(Path.Combine(root, "cf.jsonl")), File.ReadAllText(Path.Combine(root, "c3.jsonl")));
            Assert.Equal(File.ReadAllText(Path.Combine(root, "sf.jsonl")), File.ReadAllText(Path.Combine(root, "s3.jsonl")));
            // Scoring options cannot change at merge time: the scores were made with another scale.
            var e = Assert.Throws<JobException>(() => new SelectItRunner(new SelectItOptions { Models = [model], ScaleMax = 4 })
                .Merge(input, work, Path.Combine(root, "x.jsonl"), Path.Combine(root, "y.jsonl")));
            Assert.Contains("scale: 5 → 4", e.Message);
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }

    [Fact]
    public void SelectItSkipsBadRecordsAndKeepsBothGoodOnes()
    {
        var root = Temp();
        try
        {
            var model = Model(root);
            var input = Path.Combine(root, "in.jsonl");
            File.WriteAllLines(input, [
                """{"id": "g1", "instruction": "Calculate.", "input": "2 + 2", "output": "Answer: 4"}""",
                """{"id": "bad", "instruction": "Calculate.""",
                """{"text": 5}""",
                """{"id": "g2", "messages": [{"role": "user", "content": "Calculate.\n3 + 4"}, {"role": "assistant", "content": "Answer: 7"}]}""",
            ]);
            var output = Path.Combine(root, "sel.jsonl");
            string[] args = ["--models", model, "--input", input, "--output", output, "--ratio", "1"];
            var e = Assert.Throws<Engine.Methods.Core.Data.RecordFormatException>(() => SelectItCommand.Create().Parse(args)
                .Invoke(new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false }));
            Assert.StartsWith($"{input}:2: invalid JSON", e.Message);
            Assert.Equal(0, SelectItCommand.Create().Parse([.. args, "--skip-bad-records", "--resume"])
                .Invoke(new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false }));
            Assert.Equal(["g1", "g2"], File.ReadAllLines(output + ".scores.jsonl").Select(l => JsonNode.Parse(l)!["id"]!.GetValue<string>()));
            Assert.Equal(2, File.ReadAllLines(output).Length);
            Assert.Equal(2, JobManifest.TryRead(SelectItRunner.ModelOutput(output + ".work", 0))!.Skipped);
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }
}
