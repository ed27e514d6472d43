using System.CommandLine;
using System.Text.Json.Nodes;
using Engine.Cli.Commands;
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Evaluation.Testbed.Families;
using Engine.Methods.Synthesis.AQuilt;
using Engine.Tests.TrainingData;

namespace Engine.Tests.AQuilt;

/// <summary>The whole AQuilt pipeline from the command line on a tiny model, and the tiny experiment.</summary>
public class AQuiltCliTests
{
    private static int Run(params string[] args) => new RootCommand("test") { AQuiltCommand.Create() }.Parse(args).Invoke();

    private static List<JsonNode> Lines(string path) => File.ReadAllLines(path).Select(l => JsonNode.Parse(l)!).ToList();

    [Fact]
    public void ThePipelineRunsFromTheCommandLineOnATinyModel()
    {
        using var dir = new TempDir();
        string passages = dir.File("passages.jsonl"), key = dir.File("key.jsonl"), build = dir.File("build.jsonl"), prompts = dir.File("prompts.jsonl");
        Assert.Equal(0, Run("aquilt", "passages", "--task", "facts_comets", "--n", "6", "--seed", "3", "--output", passages, "--key", key));
        Assert.Equal(6, File.ReadAllLines(passages).Length);
        Assert.Equal(0, Run("aquilt", "build", "--testbed", "facts_people,facts_ships", "--n", "8", "--output", build, "--prompts-output", prompts));
        var records = Lines(build);
        Assert.Equal(2 * 8 * 2, records.Count);
        Assert.Equal(new[] {1, 2, 3, 4, 5}, records.Select(r => r["score"]!.GetValue<int>()).Distinct().Order());
        var examples = Lines(prompts);
        Assert.Contains(examples, e => e["kind"]!.GetValue<string>() == "inspection");
        Assert.All(examples, e => Assert.StartsWith("```json\n{", e["completion"]!.GetValue<string>()));

        // A tiny base (its tokenizer trained on the build prompts and the passages), and the synthesiser trained from it.
        var corpus = examples.Select(e => e["prompt"]!.GetValue<string>() + e["completion"]!.GetValue<string>()).Concat(File.ReadAllLines(passages));
        var baseDir = TestbedExperiment.MakeTinyModel(dir.File("base"), corpus, new TestbedExperiment.TinyModelSize(Hidden: 32, Layers: 1, Intermediate: 64, Vocab: 400), seed: 1);
        var synth = dir.File("synth");
        Assert.Equal(0, Run("aquilt", "train", "--model", baseDir, "--data", build, "--output", synth, "--max-steps", "2", "--batch-size", "4", "--lora-r", "4", "--lr", "1e-3", "--max-length", "512"));
        Assert.True(File.Exists(Path.Combine(synth, "config.json")));

        // Synthesis with one passage far too long for the 512-token context: cut and reported, never a crash.
        var withLong = dir.File("with-long.jsonl");
        File.WriteAllLines(withLong, File.ReadAllLines(passages).Append(new JsonObject { ["id"] = "long", ["text"] = string.Concat(Enumerable.Repeat("The tail of Adok is long. ", 300)) }.ToJsonString()));
        var synthetic = dir.File("synthetic.jsonl");
        Assert.Equal(0, Run("aquilt", "synthesize", "--model", synth, "--passages", withLong, "--task-types", "extractive question answering,text summarization",
            "--output", synthetic, "--max-new-tokens", "16", "--batch-size", "4", "--seed", "2", "--max-attempts", "2", "--force-json"));
        var samples = Lines(synthetic);
        Assert.Equal(7 * 2, samples.Count);
        Assert.Equal(2, samples.Count(s => s["truncated"]!.GetValue<bool>()));
        Assert.All(samples, s => Assert.True(s["qa_pair"] is JsonObject || s["error"] is not null));

        // The same synthesis as two shards, resumed after a kill of shard 0, merges to the same bytes.
        var sharded = dir.File("sharded.jsonl");
        string[] Shard(int i) => ["aquilt", "synthesize", "--model", synth, "--passages", withLong, "--task-types", "extractive question answering,text summarization",
            "--output", sharded, "--max-new-tokens", "16", "--batch-size", "4", "--seed", "2", "--max-attempts", "2", "--force-json", "--shard", $"{i}/2", "--chunk-size", "1"];
        Assert.Equal(0, Run(Shard(0)));
        Assert.Equal(0, Run(Shard(1)));
        var shard0 = dir.File("sharded.shard-0-of-2.jsonl");
        Engine.Tests.SelectIT.SelectItRunTests.Interrupt(shard0, 2);
        Assert.Equal(0, Run([.. Shard(0), "--resume"]));
        Engine.Methods.Core.Jobs.JobMerge.Merge(sharded);
        Assert.Equal(File.ReadAllBytes(synthetic), File.ReadAllBytes(sharded));

        var inspected = dir.File("inspected.jsonl");
        Assert.Equal(0, Run("aquilt", "inspect", "--model", synth, "--input", synthetic, "--output", inspected, "--max-new-tokens", "12", "--batch-size", "4"));
        Assert.Equal(samples.Count, File.ReadAllLines(inspected).Length);
        var filtered = dir.File("filtered.jsonl");
        Assert.Equal(0, Run("aquilt", "filter", "--input", inspected, "--output", filtered, "--no-scores", "--diversity", "0.7", "--text-independence"));
        var report = JsonNode.Parse(File.ReadAllText(AQuiltFilter.ReportPath(filtered)))!;
        Assert.Equal(samples.Count, report["read"]!.GetValue<long>());
        Assert.Equal(File.ReadAllLines(filtered).Length, report["kept"]!.GetValue<long>());
        Assert.Equal(0, Run("aquilt", "check", "--input", inspected, "--task", "facts_comets"));
    }

    [Fact]
    public void BadArgumentsFailWithoutWritingAnything()
    {
        using var dir = new TempDir();
        var passages = dir.Write("p.jsonl", """{"text": "The tail of Adok is long."}""");
        var output = dir.File("out.jsonl");
        Assert.NotEqual(0, Run("aquilt", "synthesize", "--passages", passages, "--task-types", "open book qa", "--output", output));
        Assert.NotEqual(0, Run("aquilt", "passages", "--task", "arith", "--output", output));   // not a passage family
        Assert.NotEqual(0, Run("aquilt", "filter", "--input", passages, "--output", output)); // no task_type
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void TheTinyExperimentRunsEndToEnd()
    {
        using var dir = new TempDir();
        var o = new AQuiltExperimentOptions
        {
            BuildPerFamily = 8, Passages = 8, MixPerFamily = 4, SynthesiserSteps = 3, StudentSteps = 2, BatchSize = 4, EvalN = 6, Seeds = 1,
            SynthesisMaxNewTokens = 12, InspectionMaxNewTokens = 8, TrainFamilies = "facts_people,facts_ships",
            Size = new TestbedExperiment.TinyModelSize(Hidden: 32, Layers: 1, Intermediate: 64, Vocab: 400),
        };
        var result = AQuiltTestbedExperiment.Run(dir.Path, o);
        var seed = Assert.Single(result.Seeds);
        Assert.Equal(4, seed.Arms.Count);
        Assert.All(seed.Arms, a => Assert.Equal(6, a.Eval.N));
        Assert.Equal(0, seed.Arms[0].ExtraExamples);
        Assert.Equal(8, seed.Arms[3].ExtraExamples);
        Assert.Equal(8, seed.Synthesis.Samples);
        Assert.Contains("d: gold (upper bound)", result.ToMarkdown());
        // A finished seed is read back, not run again, and gives the same tables; other options are refused.
        var again = AQuiltTestbedExperiment.Run(dir.Path, o);
        Assert.Equal(result.ToMarkdown(), again.ToMarkdown());
        Assert.Throws<InvalidOperationException>(() => AQuiltTestbedExperiment.Run(dir.Path, o with { StudentSteps = 3 }));
    }
}

/// <summary>The fact-passage families: the checker, the raw passages and the build records.</summary>
public class AQuiltTestbedTests
{
    private static readonly FactsFamily Comets = (FactsFamily)TaskRegistry.Get("facts_comets");

    [Fact]
    public void TheCheckerJudgesQuestionsAboutAPassage()
    {
        const string passage = "The tail of Adok is long. The orbit of Adok is wide. The tail of Bemo is faint. The orbit of Bemo is oval.";
        Assert.Equal(PassageVerdict.Correct, Comets.Check(passage, "What is the orbit of Bemo?", "oval.").Verdict);
        Assert.Equal(PassageVerdict.Correct, Comets.Check(passage, "What is the tail of Adok?", "Long").Verdict);
        var wrong = Comets.Check(passage, "What is the orbit of Bemo?", "wide");
        Assert.Equal((PassageVerdict.Wrong, "oval"), (wrong.Verdict, wrong.Expected));
        Assert.Equal(PassageVerdict.Unanswerable, Comets.Check(passage, "What is the orbit of Calu?", "wide").Verdict);
        Assert.Equal(PassageVerdict.Unanswerable, Comets.Check(passage, "Which comet has a long tail?", "Adok").Verdict);
    }

    [Fact]
    public void PassagesCarryNoAnswerAndTheKeyIsRightByTheChecker()
    {
        var ps = TestbedPassages.Generate(Comets, 30, seed: 4, maxDifficulty: 3);
        Assert.Equal(30, ps.Count);
        Assert.All(ps, p =>
        {
            Assert.DoesNotContain("?", p.Text);
            Assert.True(Comets.Check(p.Text, p.Question, p.Answer).Correct, p.Question);
        });
        Assert.Equal(ps.Select(p => p.Text), TestbedPassages.Generate(Comets, 30, seed: 4, maxDifficulty: 3).Select(p => p.Text));
        Assert.Empty(ps.Select(p => p.Text).Intersect(TestbedPassages.Generate(Comets, 30, seed: 4, split: TestbedSplit.Test, maxDifficulty: 3).Select(p => p.Text)));
    }

    [Fact]
    public void FactFamiliesStayOutOfAllAndBuildRecordsAreDamagedByLevel()
    {
        Assert.DoesNotContain(TaskRegistry.All, f => f.Domain == "facts");
        Assert.Equal(5, TaskRegistry.Parse("facts").Count);
        var records = AQuiltTestbed.BuildRecords([Comets], 12, seed: 2);
        Assert.Equal(24, records.Count);
        foreach (var r in records)
        {
            var qa = r["qa_pair"]!;
            var check = Comets.Check(r["text"]!.GetValue<string>(), qa["question"]!.GetValue<string>(), qa["answer"]!.GetValue<string>());
            // Levels 3–5 keep the right answer, levels 1–2 do not.
            Assert.Equal(r["score"]!.GetValue<int>() >= 3, check.Correct);
        }
        Assert.Equal(AQuiltTaskTypes.Parse("extractive question answering"), AQuiltTestbed.TaskTypeOf(Comets));
    }
}
