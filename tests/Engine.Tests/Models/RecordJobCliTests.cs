using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Engine.Cli.Commands;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Evaluation.Testbed;
using Engine.Models;
using Engine.Models.Generation;
using Engine.Models.Lora;
using Engine.Runtime;

namespace Engine.Tests.Models;

/// <summary>A tiny model, a PEFT adapter with non-zero weights on it, and the same adapter merged into a second model folder.</summary>
public sealed class TinyModelWithAdapter : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "engine-jobcli-" + Guid.NewGuid().ToString("N"));
    public string Model { get; }
    public string Adapter { get; }
    public string Merged { get; }

    public TinyModelWithAdapter()
    {
        var records = TestbedGenerator.Generate(new TestbedOptions { N = 200, Seed = 9 });
        Model = TestbedExperiment.MakeTinyModel(Path.Combine(Root, "m"), TestbedExperiment.ChatText(records),
            new TestbedExperiment.TinyModelSize(Hidden: 32, Layers: 1, Intermediate: 64, Vocab: 300), seed: 2);
        var bundle = ModelBundle.Load(Model);
        var lora = LoraModel.Apply(bundle.Model, new LoraConfig { Rank = 4, Alpha = 8, TargetModules = ["all-linear"] }, seed: 5);
        using (Autograd.NoGrad())
            foreach (var (name, t) in lora.Parameters)
                Tensor.RandN(t.Shape, 11 + (ulong)name.Length * 31, 0.3).CopyTo(t);
        Adapter = Path.Combine(Root, "adapter");
        lora.Save(Adapter, Model);
        // The reference: the adapter merged into the weights (what PEFT's merge_and_unload gives), saved as a full model.
        var reference = ModelBundle.Load(Model);
        LoraModel.Load(reference.Model, Adapter).MergeAndUnload();
        Merged = Path.Combine(Root, "merged");
        reference.Model.Save(Merged);
        reference.Tokenizer.Save(Merged);
        reference.Generation!.Save(Merged);
    }

    public void Dispose() { if (Directory.Exists(Root)) Directory.Delete(Root, true); }
}

/// <summary>
/// score / generate / merge end to end, in process: shards merged equal one whole run byte for byte, resume and
/// refusal, bad records skipped, and --adapter against the merged model.
/// </summary>
public class RecordJobCliTests(TinyModelWithAdapter fx) : IClassFixture<TinyModelWithAdapter>
{
    private string Dir(string name) { var d = Path.Combine(fx.Root, name + "-" + Guid.NewGuid().ToString("N")[..8]); Directory.CreateDirectory(d); return d; }

    private static void Run(Command cmd, params string[] args)
    {
        int rc = cmd.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        Assert.Equal(0, rc);
    }

    private static List<JsonObject> Lines(string path) => File.ReadAllLines(path).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    // Ten records; with --batch-size 4 the two short last ones share a batch in one run but sit alone in the shards'
    // last batches (a 3-token batch takes the CPU's small-GEMM path), so plain batching would change their scores.
    private static readonly string[] ScoreInput = Enumerable.Range(0, 10).Select(i => i >= 8
        ? $$"""{"id": {{i}}, "input_ids": [5, {{9 + i}}, 11]}"""
        : i % 4 == 3 ? $$"""{"id": {{i}}, "input_ids": [{{string.Join(", ", Enumerable.Range(5, 3 + i))}}]}"""
        : $$"""{"id": {{i}}, "text": "Calculate. {{i}} + {{string.Concat(Enumerable.Repeat("4", i))}} is the answer to record {{i}}"}""").ToArray();

    [Fact]
    public void ScoreShardsMergedEqualOneRunByteForByte()
    {
        var d = Dir("score");
        var input = Path.Combine(d, "in.jsonl");
        File.WriteAllLines(input, ScoreInput);
        string whole = Path.Combine(d, "whole.jsonl"), sharded = Path.Combine(d, "sharded.jsonl");
        Run(ScoreCommand.Create(), "--model", fx.Model, "--input", input, "--output", whole, "--batch-size", "4");
        for (int i = 0; i < 2; i++) Run(ScoreCommand.Create(), "--model", fx.Model, "--input", input, "--output", sharded, "--batch-size", "4", "--shard", $"{i}/2");
        Assert.False(File.Exists(sharded));
        Run(MergeCommand.Create(), "--output", sharded);
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(sharded));
        Assert.Equal(Enumerable.Range(0, 10), Lines(whole).Select(l => l["id"]!.GetValue<int>()));
        Assert.All(Lines(whole), l => Assert.NotEmpty(l["token_logprobs"]!.AsArray()));
    }

    private static readonly string[] Prompts =
    [
        """{"prompt": "Calculate.\n12 + 46"}""",
        """{"messages": [{"role": "user", "content": "Reverse the word.\nkite"}]}""",
        """{"instruction": "Sort the letters.", "input": "dcba", "output": "abcd", "id": "alpaca"}""",
        """{"prompt": "Evaluate the program.\nlet x = 4; x * x"}""",
        """{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Count the vowels.\nbanana"}, {"role": "assistant", "content": "3"}]}""",
        """{"prompt": "Calculate.\n7 * 8"}""",
        """{"text": "Answer:"}""",
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void SampledGenerateShardsMergedEqualOneRunByteForByte(int samples)
    {
        var d = Dir("gen");
        var input = Path.Combine(d, "prompts.jsonl");
        File.WriteAllLines(input, Prompts);
        string[] common = ["--model", fx.Model, "--input", input, "--max-new-tokens", "8", "--temperature", "0.9", "--top-p", "0.95", "--seed", "3",
            "--batch-size", "3", "--num-samples", samples.ToString()];
        string whole = Path.Combine(d, "whole.jsonl"), sharded = Path.Combine(d, "sharded.jsonl");
        Run(GenerateCommand.Create(), [.. common, "--output", whole]);
        // Shards in chunks of two records: chunking changes nothing either.
        for (int i = 0; i < 2; i++) Run(GenerateCommand.Create(), [.. common, "--output", sharded, "--shard", $"{i}/2", "--chunk-size", "2"]);
        Run(MergeCommand.Create(), "--output", sharded);
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(sharded));

        var lines = Lines(whole);
        Assert.Equal(Prompts.Length * samples, lines.Count);
        if (samples > 1)
        {
            Assert.Equal(Enumerable.Range(0, Prompts.Length).SelectMany(_ => new[] { 0, 1 }), lines.Select(l => l["sample_index"]!.GetValue<int>()));
            // Each sample has its own stream: some record's two samples differ.
            Assert.Contains(Enumerable.Range(0, Prompts.Length), i => lines[2 * i]["completion"]!.GetValue<string>() != lines[2 * i + 1]["completion"]!.GetValue<string>());
        }
        else Assert.All(lines, l => Assert.False(l.ContainsKey("sample_index")));
        Assert.Equal("alpaca", lines[2 * samples]["id"]!.GetValue<string>());   // input fields carried through
    }

    [Fact]
    public void AnInterruptedGenerateResumedEqualsOneRunAndOtherOptionsAreRefused()
    {
        var d = Dir("resume");
        var input = Path.Combine(d, "prompts.jsonl");
        File.WriteAllLines(input, Prompts);
        string[] common = ["--model", fx.Model, "--input", input, "--max-new-tokens", "6", "--seed", "1", "--num-samples", "2", "--temperature"];
        string whole = Path.Combine(d, "whole.jsonl"), broken = Path.Combine(d, "broken.jsonl");
        Run(GenerateCommand.Create(), [.. common, "0.8", "--output", whole]);
        Run(GenerateCommand.Create(), [.. common, "0.8", "--output", broken]);
        SelectIT.SelectItRunTests.Interrupt(broken, keep: 5);   // two and a half records, then a torn line
        var e = Assert.Throws<JobException>(() => Run(GenerateCommand.Create(), [.. common, "0.7", "--output", broken, "--resume"]));
        Assert.Contains("temperature: 0.8 → 0.7", e.Message);
        common = [.. common, "0.8"];
        Assert.Throws<JobException>(() => Run(GenerateCommand.Create(), [.. common, "--output", broken]));   // no --resume: refused, not overwritten
        Run(GenerateCommand.Create(), [.. common, "--output", broken, "--resume"]);
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(broken));
    }

    [Fact]
    public void ScoreSkipsEveryKindOfBadRecordAndKeepsTheGoodOnes()
    {
        var d = Dir("bad");
        var input = Path.Combine(d, "in.jsonl");
        File.WriteAllLines(input, ["""{"text": "Answer: 42"}""", """{"text": "broken""", """{"text": 5}""", """{"text": "Answer: 7"}"""]);
        var output = Path.Combine(d, "out.jsonl");
        // Without skipping: stops at line 2, the good record before it is written.
        var e = Assert.Throws<Engine.Methods.Core.Data.RecordFormatException>(() => Run(ScoreCommand.Create(), "--model", fx.Model, "--input", input, "--output", output));
        Assert.StartsWith($"{input}:2: invalid JSON", e.Message);
        Assert.Single(File.ReadAllLines(output));
        Run(ScoreCommand.Create(), "--model", fx.Model, "--input", input, "--output", output, "--resume", "--skip-bad-records");
        Assert.Equal(["Answer: 42", "Answer: 7"], Lines(output).Select(l => l["text"]!.GetValue<string>()));
        Assert.Equal(2, JobManifest.TryRead(output)!.Skipped);
    }

    [Fact]
    public async Task TheCliReportsEachSkippedRecordAndTheCount()
    {
        var d = Dir("stderr");
        var input = Path.Combine(d, "in.jsonl");
        File.WriteAllLines(input, ["""{"text": "Answer: 42"}""", """{"text": "broken""", """{"text": 5}""", """{"text": "Answer: 7"}"""]);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "engine.dll"), "score", "--model", fx.Model, "--input", input, "--output", Path.Combine(d, "o.jsonl"), "--skip-bad-records" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        Assert.True(p.WaitForExit(120_000));
        var err = await stderr;
        Assert.True(p.ExitCode == 0, err);
        Assert.Contains($"skipped: {input}:2: invalid JSON", err);
        Assert.Contains($"skipped: {input}:3: \"text\" must be a string, got number", err);
        Assert.Contains("2 bad records skipped", err);
    }

    [Fact]
    public void AdapterScoresAndGreedyGenerationEqualTheMergedModel()
    {
        var d = Dir("adapter");
        var input = Path.Combine(d, "in.jsonl");
        File.WriteAllLines(input, ScoreInput.Take(6));
        string withAdapter = Path.Combine(d, "a.jsonl"), merged = Path.Combine(d, "m.jsonl"), plain = Path.Combine(d, "p.jsonl");
        Run(ScoreCommand.Create(), "--model", fx.Model, "--adapter", fx.Adapter, "--input", input, "--output", withAdapter);
        Run(ScoreCommand.Create(), "--model", fx.Merged, "--input", input, "--output", merged);
        Run(ScoreCommand.Create(), "--model", fx.Model, "--input", input, "--output", plain);
        double[] Lp(string f) => Lines(f).SelectMany(l => l["token_logprobs"]!.AsArray().Select(v => v!.GetValue<double>())).ToArray();
        var (a, m, p) = (Lp(withAdapter), Lp(merged), Lp(plain));
        Assert.Equal(m.Length, a.Length);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - m[i]) < 1e-4, $"token {i}: adapter {a[i]} vs merged {m[i]}");
        Assert.True(a.Zip(p).Max(x => Math.Abs(x.First - x.Second)) > 1e-2, "the adapter should change the scores");

        var prompts = Path.Combine(d, "prompts.jsonl");
        File.WriteAllLines(prompts, Prompts);
        string genA = Path.Combine(d, "ga.jsonl"), genM = Path.Combine(d, "gm.jsonl"), genP = Path.Combine(d, "gp.jsonl");
        Run(GenerateCommand.Create(), "--model", fx.Model, "--adapter", fx.Adapter, "--input", prompts, "--output", genA, "--max-new-tokens", "10", "--temperature", "0");
        Run(GenerateCommand.Create(), "--model", fx.Merged, "--input", prompts, "--output", genM, "--max-new-tokens", "10", "--temperature", "0");
        Run(GenerateCommand.Create(), "--model", fx.Model, "--input", prompts, "--output", genP, "--max-new-tokens", "10", "--temperature", "0");
        Assert.Equal(Lines(genM).Select(l => l["completion"]!.GetValue<string>()), Lines(genA).Select(l => l["completion"]!.GetValue<string>()));
        Assert.NotEqual(Lines(genP).Select(l => l["logprob_sum"]!.GetValue<double>()), Lines(genA).Select(l => l["logprob_sum"]!.GetValue<double>()));
        // The fingerprint knows the adapter: resuming the plain output with it is refused.
        var e = Assert.Throws<JobException>(() => Run(ScoreCommand.Create(), "--model", fx.Model, "--adapter", fx.Adapter, "--input", input, "--output", plain, "--resume"));
        Assert.Contains("adapter: none → sha256:", e.Message);
    }

    [Fact]
    public void EveryOptionOfTheJobVerbsIsDocumented()
    {
        foreach (var cmd in new[] { ScoreCommand.Create(), GenerateCommand.Create(), ChatCommand.Create(), SelectItCommand.Create(), MergeCommand.Create() })
        {
            Assert.False(string.IsNullOrWhiteSpace(cmd.Description));
            Assert.All(cmd.Options, o => Assert.False(string.IsNullOrWhiteSpace(o.Description), $"{cmd.Name} {o.Name}"));
        }
        Assert.Contains(ScoreCommand.Create().Options, o => o.Name == "--shard");
        Assert.Contains(GenerateCommand.Create().Options, o => o.Name == "--num-samples");
        Assert.Contains(ChatCommand.Create().Options, o => o.Name == "--adapter");
    }
}
