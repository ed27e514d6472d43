using System.Text.Json.Nodes;
using Engine.Cli.Commands;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Evaluation.Experiments;
using Engine.Models;
using Engine.Models.Scoring;

namespace Engine.Tests.Models;

/// <summary>The model verbs end to end, in process: init-model, score (with resume), generate (prompt and chat records).</summary>
public class ModelCliTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "engine-cli-" + Guid.NewGuid().ToString("N"));
    private readonly string _model;

    public ModelCliTests()
    {
        var records = TestbedGenerator.Generate(new TestbedOptions { N = 200, Seed = 9 });
        _model = TestbedExperiment.MakeTinyModel(Path.Combine(_root, "m"), TestbedExperiment.ChatText(records),
            new TestbedExperiment.TinyModelSize(Hidden: 32, Layers: 1, Intermediate: 64, Vocab: 300), seed: 2);
    }

    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    private static int Run(System.CommandLine.Command cmd, params string[] args) => cmd.Parse(args).Invoke();

    [Fact]
    public void InitModelWritesALoadableModelWithTheTokenizer()
    {
        var dir = Path.Combine(_root, "init");
        Assert.Equal(0, Run(InitModelCommand.Create(), "--arch", "qwen3", "--hidden", "32", "--layers", "2", "--heads", "4", "--tokenizer", _model, "--out", dir, "--seed", "5"));
        var b = ModelBundle.Load(dir);
        Assert.Equal("qwen3", b.Model.Config.ModelType);
        Assert.Equal(2, b.Model.Config.NumKvHeads);
        Assert.Equal(b.Tokenizer.VocabSize, b.Model.Config.VocabSize);
        Assert.Equal(b.Tokenizer.EosTokenId, b.EosTokenIds.Single());
    }

    [Fact]
    public void ScoreWritesLogProbsAndResumesWithoutDuplicates()
    {
        var input = Path.Combine(_root, "in.jsonl");
        File.WriteAllLines(input, [
            """{"id": 1, "text": "Answer: 42"}""",
            """{"id": 2, "input_ids": [5, 9, 11, 30]}""",
            """{"id": 3, "text": "Calculate. 12 + 46"}""",
        ]);
        var output = Path.Combine(_root, "out.jsonl");
        Assert.Equal(0, Run(ScoreCommand.Create(), "--model", _model, "--input", input, "--output", output));
        var lines = File.ReadAllLines(output).Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();
        Assert.Equal([1, 2, 3], lines.Select(l => l["id"]!.GetValue<int>()));
        // Record 2 by hand: the scorer's log-probs of [9, 11, 30] given their prefixes.
        var expected = new Scorer(ModelBundle.Load(_model).Model).Score([[5, 9, 11, 30]])[0];
        var got = lines[1]["token_logprobs"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        Assert.Equal(3, got.Length);
        for (int i = 0; i < 3; i++) Assert.Equal(expected.TokenLogProbs[i], got[i], 5);
        Assert.Equal(expected.LogProbSum, lines[1]["logprob_sum"]!.GetValue<double>(), 9);

        // A killed run: two complete lines and a torn third. --resume keeps the two and appends the rest once.
        var all = File.ReadAllLines(output);
        File.WriteAllText(output, all[0] + "\n" + all[1] + "\n" + all[2][..10]);
        Assert.Equal(0, Run(ScoreCommand.Create(), "--model", _model, "--input", input, "--output", output, "--resume"));
        Assert.Equal(all, File.ReadAllLines(output));
    }

    [Fact]
    public void MalformedInputNamesFileAndLine()
    {
        var input = Path.Combine(_root, "bad.jsonl");
        File.WriteAllLines(input, ["""{"text": "ok"}""", "{not json", """{"text": "fine"}"""]);
        var e = Assert.ThrowsAny<Exception>(() => ScoreCommand.Create().Parse(["--model", _model, "--input", input, "--output", Path.Combine(_root, "o.jsonl")])
            .Invoke(new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false }));
        Assert.Contains("bad.jsonl:2", e.Message);
        Assert.Equal(0, Run(ScoreCommand.Create(), "--model", _model, "--input", input, "--output", Path.Combine(_root, "o2.jsonl"), "--skip-bad-records"));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(_root, "o2.jsonl")).Length);
    }

    [Fact]
    public void GenerateHandlesPromptsAndChatMessagesDeterministically()
    {
        var input = Path.Combine(_root, "prompts.jsonl");
        File.WriteAllLines(input, [
            """{"prompt": "Calculate.\n12 + 46"}""",
            """{"messages": [{"role": "user", "content": "Reverse the word.\nkite"}]}""",
        ]);
        string o1 = Path.Combine(_root, "g1.jsonl"), o2 = Path.Combine(_root, "g2.jsonl");
        foreach (var o in new[] { o1, o2 })
            Assert.Equal(0, Run(GenerateCommand.Create(), "--model", _model, "--input", input, "--output", o, "--max-new-tokens", "6", "--temperature", "0.8", "--seed", "3"));
        Assert.Equal(File.ReadAllText(o1), File.ReadAllText(o2));
        foreach (var l in File.ReadAllLines(o1).Select(l => JsonNode.Parse(l)!.AsObject()))
        {
            Assert.InRange(l["completion_tokens"]!.GetValue<int>(), 0, 6);
            Assert.Contains(l["finish_reason"]!.GetValue<string>(), new[] { "eos", "length", "stop" });
            Assert.NotNull(l["completion"]);
        }
    }
}
