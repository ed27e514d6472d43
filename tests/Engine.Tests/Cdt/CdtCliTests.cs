using System.CommandLine;
using System.Text.Json.Nodes;
using Engine.Cli.Commands;

using Engine.Tests.TrainingData;

namespace Engine.Tests.Cdt;

/// <summary>`engine cdt metrics|select|train-tagger|tag` and `engine selection-benchmark` through the command-line parser.</summary>
public class CdtCliTests
{
    private static int Run(params string[] args)
    {
        var root = new RootCommand("test") { TestbedCommand.Create(), CdtCommand.Create(), SelectionBenchmarkCommand.Create() };
        return root.Parse(args).Invoke();
    }

    private static List<JsonObject> Lines(string path) => File.ReadAllLines(path).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    /// <summary>The composite key written out independently of the library: first two codes sorted, subdomain, task.</summary>
    private static string Key(JsonObject r)
    {
        var t = r["tags"]!;
        var c = t["cognition"]!.AsArray().Select(x => x!.GetValue<string>()).Take(2).Order(StringComparer.Ordinal);
        return string.Join("+", c) + "|" + t["domain"]![0] + "|" + t["task"]![0];
    }

    [Fact]
    public void MetricsAndSelectOnATestbedPool()
    {
        using var dir = new TempDir();
        string pool = dir.File("pool.jsonl"), target = dir.File("target.jsonl"), json = dir.File("m.json"), png = dir.File("m.png");
        Assert.Equal(0, Run("testbed", "make", "--tasks", "syllogism,arith,kb_lookup,string_ops", "--weights", "syllogism=6,arith=2", "--framings",
            "--n", "300", "--seed", "2", "--out", pool));
        Assert.Equal(0, Run("testbed", "make", "--tasks", "passage_extract", "--framings", "--n", "20", "--seed", "3", "--out", target));

        Assert.Equal(0, Run("cdt", "metrics", "--input", pool, "--json", json, "--png", png));
        var m = JsonNode.Parse(File.ReadAllText(json))!;
        var records = Lines(pool);
        var hist = records.GroupBy(Key).Select(g => (double)g.Count()).ToArray();
        Assert.Equal(300, m["tagged"]!.GetValue<int>());
        Assert.Equal(hist.Length, m["distinct_capabilities"]!.GetValue<int>());
        Assert.Equal(100.0 * hist.Length / 73_359, m["coverage_percent"]!.GetValue<double>(), 9);
        Assert.Equal(-hist.Sum(c => c / 300 * Math.Log2(c / 300)), m["balance_bits"]!.GetValue<double>(), 9);
        Assert.True(new FileInfo(png).Length > 1000);
        Assert.Equal(0, Run("cdt", "metrics", "--input", pool, "--denominator", "90288", "--json", json));
        Assert.Equal(100.0 * hist.Length / 90_288, JsonNode.Parse(File.ReadAllText(json))!["coverage_percent"]!.GetValue<double>(), 9);

        // Diversity: 20% of 300, every field kept, more capabilities than the first 60 records have.
        string div = dir.File("div.jsonl"), div2 = dir.File("div2.jsonl");
        Assert.Equal(0, Run("cdt", "select", "--input", pool, "--output", div));
        Assert.Equal(0, Run("cdt", "select", "--input", pool, "--output", div2));
        Assert.Equal(File.ReadAllBytes(div), File.ReadAllBytes(div2));
        var picked = Lines(div);
        Assert.Equal(60, picked.Count);
        Assert.All(picked, p => Assert.Contains(records, r => JsonNode.DeepEquals(r, p)));
        Assert.True(picked.Select(Key).Distinct().Count() > records.Take(60).Select(Key).Distinct().Count());

        // Specific: the target family is not in the pool, but its domain/task/skills partly are (kb_lookup is Extractive QA).
        string spec = dir.File("spec.jsonl");
        Assert.Equal(0, Run("cdt", "select", "--input", pool, "--output", spec, "--mode", "specific", "--target", target, "--top-n", "25"));
        var s = Lines(spec);
        Assert.Equal(25, s.Count);
        Assert.True(s.Count(r => r["task"]!.GetValue<string>() == "kb_lookup") > 25 * 0.5, "records sharing the target's task type come first");

        Assert.NotEqual(0, Run("cdt", "select", "--input", pool, "--output", spec, "--mode", "specific"));   // no --target
        Assert.NotEqual(0, Run("cdt", "select", "--input", pool, "--output", spec, "--mode", "clever"));
    }

    [Fact]
    public void BadLabelFilesAndRecordsAreReportedNotFatal()
    {
        using var dir = new TempDir();
        var labels = Directory.CreateDirectory(dir.File("labels")).FullName;
        File.WriteAllText(Path.Combine(labels, "task.json"), """{"labels": [{"name": "Completion"}, {"name": "completion"}, {"name": "Closed Book QA"}]}""");
        var pool = dir.Write("pool.jsonl",
            """{"instruction": "a", "output": "b", "tags": {"cognition": ["NM"], "domain": ["Mathematics"], "task": ["Completion"]}}""",
            """{"instruction": "c", "output": "d", "tags": {"cognition": ["ZZ"], "domain": ["Mathematics"], "task": ["Completion"]}}""",
            """{"instruction": "e", "output": "f"}""",
            """not json""",
            """{"instruction": "g", "output": "h", "tags": {"cognition": ["RG"], "domain": ["Logic"], "task": ["Closed Book QA"]}}""");
        var json = dir.File("m.json");
        Assert.NotEqual(0, Run("cdt", "metrics", "--input", pool, "--json", json));   // a broken line without --skip-bad-records stops, naming it
        Assert.Equal(0, Run("cdt", "metrics", "--input", pool, "--json", json, "--labels", labels, "--skip-bad-records"));
        var m = JsonNode.Parse(File.ReadAllText(json))!;
        Assert.Equal((4, 2), (m["records"]!.GetValue<int>(), m["tagged"]!.GetValue<int>()));
        Assert.Equal(171L * 33 * 2, m["coverage_denominator"]!.GetValue<long>());   // the duplicate left out: two task types
    }

    [Fact]
    public void TrainTaggerThenTagThroughTheLocalTeacher()
    {
        using var dir = new TempDir();
        string train = dir.File("train.jsonl"), eval = dir.File("eval.jsonl"), tagger = dir.File("tagger"), tagged = dir.File("tagged.jsonl");
        Assert.Equal(0, Run("testbed", "make", "--tasks", "syllogism,arith", "--framings", "--n", "40", "--seed", "1", "--out", train));
        Assert.Equal(0, Run("testbed", "make", "--tasks", "syllogism,arith", "--framings", "--n", "3", "--seed", "2", "--split", "test", "--out", eval));
        Assert.Equal(0, Run("cdt", "train-tagger", "--input", train, "--eval", eval, "--output", tagger, "--steps", "4", "--batch-size", "4"));
        Assert.True(File.Exists(Path.Combine(tagger, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(tagger, "tokenizer.json")));

        // Three steps of training tag badly; what matters here is the path: every record out, untagged ones reported, shards and resume as any job.
        Assert.Equal(0, Run("cdt", "tag", "--teacher", "local:" + tagger, "--prompt-style", "compact", "--max-new-tokens", "12", "--input", eval, "--output", tagged));
        var lines = Lines(tagged);
        Assert.Equal(3, lines.Count);
        Assert.All(lines, l => Assert.NotNull(l["tags"]!["cognition"]));
        Assert.All(lines, l => Assert.Equal(l["tags"]!.AsObject().Select(p => p.Key), ["cognition", "domain", "task"]));
        Assert.Equal(0, Run("cdt", "tag", "--teacher", "local:" + tagger, "--prompt-style", "compact", "--max-new-tokens", "12", "--input", eval, "--output", tagged, "--resume"));
        Assert.Equal(3, Lines(tagged).Count);
    }

    [Fact]
    public void TheSelectionBenchmarkRunsEveryArmAtToySize()
    {
        using var dir = new TempDir();
        var md = dir.File("r.md");
        Assert.Equal(0, Run("selection-benchmark", "--work", dir.File("w"), "--families", "syllogism=3,arith=2,kb_lookup=1", "--target", "passage_extract",
            "--target-share", "0.05", "--target-n", "10", "--n", "120", "--seeds", "1", "--student-steps", "3", "--judge-steps", "3", "--judge-n", "40",
            "--eval-per-family", "2", "--tags", "truth", "--markdown", md));
        var text = File.ReadAllText(md);
        foreach (var arm in new[] { "random", "full", "selectit", "cdt-diversity", "cdt-specific", "selectit-in-cdt-strata" })
            Assert.Contains($"| {arm} |", text);
        Assert.Contains("budget 24 (20 %)", text);   // round(120 · 0.2)
        Assert.NotEqual(0, Run("selection-benchmark", "--work", dir.File("w2"), "--arms", "random,magic"));
        Assert.NotEqual(0, Run("selection-benchmark", "--work", dir.File("w2"), "--families", "syllogism=1", "--target", "syllogism"));
    }
}
