using System.CommandLine;
using System.Text.Json.Nodes;
using Engine.Cli.Commands;
using Engine.Methods.Speech.SelfPowered;

namespace Engine.Tests.Speech;

/// <summary>engine lsm end to end on a tiny setup: gen-targets → train → generate, as a user runs them.</summary>
public class LsmCliTests(TinySpeechSetup fx) : IClassFixture<TinySpeechSetup>
{
    private static string Run(params string[] args)
    {
        var output = new StringWriter();
        int rc = LsmCommand.Create().Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = output });
        Assert.Equal(0, rc);
        return output.ToString();
    }

    [Fact]
    public void GenTargetsThenTrainThenGenerate()
    {
        var dir = fx.NewDir("cli");
        var targets = Path.Combine(dir, "targets.jsonl");
        Run("gen-targets", "--llm", fx.Llm, "--transcripts", fx.Manifest, "--output", targets, "--prompt-format", "chat", "--categories", "asr,repeat",
            "--max-new-tokens", "6", "--batch-size", "4", "--filter", "finished", "--max-prompt-tokens", "0", "--seed", "2");
        var lines = File.ReadAllLines(targets).Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();
        Assert.Equal(fx.Transcripts.Length, lines.Length);
        Assert.Equal(["asr", "repeat"], lines.Select(l => l["category"]!.GetValue<string>()).Distinct().Order());
        Assert.True(File.Exists(targets + ".job.json"));

        var lsm = Path.Combine(dir, "lsm");
        Run("train", "--llm", fx.Llm, "--encoder", fx.Encoder, "--data", targets, "--output", lsm, "--prompt-format", "chat",
            "--qformer-hidden", "16", "--qformer-heads", "2", "--qformer-ffn", "32", "--qformer-layers", "1", "--window", "4", "--stride", "4",
            "--min-target-tokens", "0", "--max-steps", "3", "--batch-size", "4", "--grad-accum", "1", "--warmup-steps", "0", "--lr", "1e-2", "--cache-encoder-states", "--save-steps", "3");
        Assert.True(File.Exists(Path.Combine(lsm, SpeechLlmFolder.FileName)));
        Assert.True(File.Exists(Path.Combine(lsm, "metrics.jsonl")));
        Assert.True(Directory.Exists(Path.Combine(lsm, "checkpoint-3")));

        var answer = Run("generate", "--model", lsm, "--audio", fx.Audio(3), "--prompt", "Provide the English transcription according to the speech", "--max-new-tokens", "5");
        var m = SelfPoweredModel.Load(lsm);
        var expected = m.Generate([new SpokenPrompt(fx.Audio(3), "Provide the English transcription according to the speech")], m.Greedy(5))[0].Text;
        Assert.Equal(expected + Environment.NewLine, answer);

        // A missing clip is named.
        var e = Assert.Throws<FileNotFoundException>(() => Run("generate", "--model", lsm, "--audio", Path.Combine(dir, "none.wav"), "--prompt", "x"));
        Assert.Contains("none.wav", e.Message);
    }
}
