using Engine.Methods.Core.Data;
using Engine.Methods.Evaluation;
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Training.Data;
using Engine.Models;
using Engine.Models.Chat;
using Engine.Runtime;
using Engine.Tests.Training;

namespace Engine.Tests.TestbedEval;

/// <summary>`testbed eval --per-domain-loss`: the token-mean loss of each domain's reference responses, by hand, one item at a time.</summary>
public class PerDomainLossTests
{
    [Fact]
    public void PerDomainLossIsTheTokenMeanOfTheReferenceResponses()
    {
        var items = TestbedGenerator.Generate(new TestbedOptions { Tasks = TaskRegistry.Parse("logic,code"), N = 14, Seed = 4, Split = TestbedSplit.Test });
        var dir = ToyTraining.TempDir();
        try
        {
            TestbedExperiment.MakeTinyModel(dir, TestbedExperiment.ChatText(items), new TestbedExperiment.TinyModelSize(Hidden: 16, Layers: 1, Heads: 2, KvHeads: 1, Intermediate: 24, Vocab: 300), 3);
            var bundle = ModelBundle.Load(dir);
            var report = DomainLossEvaluator.Evaluate(bundle, items, batchSize: 5, resamples: 500);

            // By hand: each item alone (no padding), cross-entropy of every response token from the logits.
            var et = ExampleTokenizer.FromModel(bundle);
            var sums = new Dictionary<string, double>(); var counts = new Dictionary<string, double>();
            foreach (var r in items)
            {
                var ex = et.ToSft(new SftRecord(DatasetFormat.Messages, null, [new ChatMessage("user", r.Prompt), new ChatMessage("assistant", r.Meta!.CleanOutput)], true, r.Id, new DataRow("t", 1, [])))!;
                double[] logits;
                using (Autograd.NoGrad()) logits = bundle.Model.Forward(Tensor.FromArray(ex.InputIds.Select(i => (long)i).ToArray(), 1, ex.InputIds.Length), null).ToDoubleArray();
                int v = bundle.Model.Config.VocabSize;
                for (int j = 1; j < ex.Labels.Length; j++)
                    if (ex.Labels[j] != LabelMask.Ignore)
                    {
                        sums[r.Domain] = sums.GetValueOrDefault(r.Domain) + ToyTraining.ReferenceCe(logits, v, j - 1, ex.Labels[j]);
                        counts[r.Domain] = counts.GetValueOrDefault(r.Domain) + 1;
                    }
            }
            Assert.Equal(["code", "logic"], report.Domains.Select(d => d.Domain));
            foreach (var d in report.Domains)
            {
                Assert.Equal(sums[d.Domain] / counts[d.Domain], d.Loss, 4);
                Assert.Equal((long)counts[d.Domain], d.Tokens);
                Assert.Equal(items.Count(i => i.Domain == d.Domain), d.Items);
                Assert.True(d.Lo <= d.Loss && d.Loss <= d.Hi && d.Lo < d.Hi, $"{d.Domain}: CI [{d.Lo}, {d.Hi}] around {d.Loss}");
            }
            Assert.Equal(report.Domains.Max(d => d.Loss), report.Worst.Loss);
            Assert.Equal(report.Domains.Average(d => d.Loss), report.Average, 12);
            Assert.Contains("| code |", report.ToMarkdown());
            Assert.Equal(report.Worst.Domain, report.ToJson()["worst_domain"]!.GetValue<string>());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void EvalVerbReportsPerDomainLossWhenAsked()
    {
        var items = TestbedGenerator.Generate(new TestbedOptions { Tasks = TaskRegistry.Parse("logic,code"), N = 10, Seed = 4, Split = TestbedSplit.Test });
        var dir = ToyTraining.TempDir();
        try
        {
            var model = Path.Combine(dir, "m");
            TestbedExperiment.MakeTinyModel(model, TestbedExperiment.ChatText(items), new TestbedExperiment.TinyModelSize(Hidden: 16, Layers: 1, Heads: 2, KvHeads: 1, Intermediate: 24, Vocab: 300), 3);
            string json = Path.Combine(dir, "r.json"), plain = Path.Combine(dir, "p.json");
            string[] common = ["--model", model, "--tasks", "logic,code", "--n", "6", "--max-new-tokens", "3"];
            Assert.Equal(0, Engine.Cli.Commands.TestbedEvalCommand.Create().Parse([.. common, "--per-domain-loss", "--json", json]).Invoke());
            Assert.Equal(0, Engine.Cli.Commands.TestbedEvalCommand.Create().Parse([.. common, "--json", plain]).Invoke());
            var r = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(json))!;
            var domains = r["domain_loss"]!["domains"]!.AsArray();
            Assert.Equal(r["groups"]!.AsArray().Count(g => g!["by"]!.GetValue<string>() == "domain"), domains.Count);
            Assert.All(domains, d => Assert.True(d!["loss"]!.GetValue<double>() > 0));
            Assert.Null(System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(plain))!["domain_loss"]);   // only when asked
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void RatioBootstrapCoversTheRatioAndNarrowsWithMoreItems()
    {
        var rng = new Random(3);
        double[] Num(int n) => Enumerable.Range(0, n).Select(_ => 2 + rng.NextDouble()).ToArray();
        var few = Num(10); var many = Num(400);
        var (lo1, hi1) = RatioBootstrap.Interval(few, few.Select(_ => 1.0).ToArray());
        var (lo2, hi2) = RatioBootstrap.Interval(many, many.Select(_ => 1.0).ToArray());
        Assert.InRange(few.Average(), lo1, hi1);
        Assert.InRange(many.Average(), lo2, hi2);
        Assert.True(hi2 - lo2 < hi1 - lo1);
    }
}
