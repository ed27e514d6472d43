using System.Diagnostics;
using System.Text.Json.Nodes;
using Engine.Methods.Training.Checkpoints;

namespace Engine.Tests.Apt;

/// <summary>
/// `engine apt run` as a user runs it, in a child process: one full iteration on a tiny model; a SIGKILL in the middle
/// of training and a --resume that finishes with the same merged model as an uninterrupted run; bad input that fails
/// with one clear line.
/// </summary>
public class AptCliTests
{
    private static string EngineDll => Path.Combine(AppContext.BaseDirectory, "engine.dll");
    private static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";

    private static ProcessStartInfo Apt(string model, string eval, string pool, string output, params string[] extra)
    {
        var psi = new ProcessStartInfo(DotnetHost) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        var judge = extra.Contains("--judge") ? [] : new[] { "--judge", "checker" };
        foreach (var a in new[] { EngineDll, "apt", "run", "--model", model, "--eval", eval, "--pool", pool, "--output", output }.Concat(judge).Concat(new[] {
                     "--iterations", "1", "--max-steps", "6", "--save-steps", "2", "--batch-size", "4", "--grad-accum", "1", "--lr", "5e-3",
                     "--lora-r", "4", "--lora-alpha", "8", "--max-new-tokens", "8", "--gen-batch-size", "4", "--embed-batch-size", "8", "--max-length", "256" }).Concat(extra))
            psi.ArgumentList.Add(a);
        psi.Environment["ENGINE_THREADS"] = "1";
        return psi;
    }

    private static async Task<(int Code, string Out, string Err)> Finish(ProcessStartInfo psi)
    {
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = await p.StandardOutput.ReadToEndAsync();
        Assert.True(p.WaitForExit(300_000), "engine apt run did not finish in 5 minutes");
        return (p.ExitCode, output, await err);
    }

    [Fact]
    public async Task OneIterationFromTheCliAndAKilledTrainingRoundResumesToTheSameModel()
    {
        Assert.True(File.Exists(EngineDll), $"engine.dll not next to the tests ({EngineDll})");
        var root = AptRunTests.Temp();
        try
        {
            var (model, eval, pool) = AptRunTests.Setup(root);

            // Uninterrupted.
            var whole = Path.Combine(root, "whole");
            var (code, stdout, stderr) = await Finish(Apt(model, eval, pool, whole));
            Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
            Assert.Contains("iteration 0:", stdout);
            Assert.Contains("iteration 1:", stdout);
            Assert.Contains("6 steps", stdout);
            var report = JsonNode.Parse(File.ReadAllText(Path.Combine(whole, "report.json")))!.AsArray();
            Assert.Equal(2, report.Count);
            Assert.True(report[0]!["pairs"]!.GetValue<int>() > 0);

            // Killed while writing the round's second checkpoint (the test hook pauses the writer half-way).
            var killed = Path.Combine(root, "killed");
            var psi = Apt(model, eval, pool, killed);
            psi.Environment[CheckpointStore.PauseEnvVar] = "1500";
            using (var p = Process.Start(psi)!)
            {
                p.OutputDataReceived += (_, _) => { };
                p.BeginOutputReadLine();
                var log = new List<string>();
                int pauses = 0;
                var clock = Stopwatch.StartNew();
                while (pauses < 2)
                {
                    var line = p.StandardError.ReadLine();
                    if (line is null) Assert.Fail($"engine apt run exited early (code {(p.WaitForExit(5000) ? p.ExitCode : -1)}):\n{string.Join('\n', log)}");
                    log.Add(line!);
                    if (line!.StartsWith("checkpoint-pause ", StringComparison.Ordinal)) pauses++;
                    Assert.True(clock.Elapsed < TimeSpan.FromSeconds(240), "timed out waiting for the checkpoint pause:\n" + string.Join('\n', log));
                }
                p.Kill();
                p.WaitForExit();
            }
            var train = Path.Combine(killed, "iter-0", "train");
            Assert.Equal([2L], CheckpointStore.List(train).Select(c => c.Step));
            Assert.False(File.Exists(Path.Combine(train, "model.safetensors")));

            // Without --resume the run refuses to touch the folder; with it, the stages before training are not redone.
            var (refused, _, refusal) = await Finish(Apt(model, eval, pool, killed));
            Assert.Equal(1, refused);
            Assert.Contains("--resume", refusal);
            var (resumed, rout, rerr) = await Finish(Apt(model, eval, pool, killed, "--resume"));
            Assert.True(resumed == 0, $"resume failed ({resumed}):\n{rout}\n{rerr}");
            Assert.Contains("training resumes from", rerr);
            // Iteration 0's finished stages are skipped, not redone (iteration 1 mines for the first time).
            Assert.DoesNotContain("-> " + Path.Combine(killed, "iter-0", "mined.jsonl"), rerr);
            Assert.DoesNotContain("-> " + Path.Combine(killed, "pool-embeddings.jsonl"), rerr);
            Assert.Contains("-> " + Path.Combine(killed, "iter-1", "mined.jsonl"), rerr);
            Assert.Equal(File.ReadAllBytes(Path.Combine(whole, "iter-0", "train", "model.safetensors")), File.ReadAllBytes(Path.Combine(train, "model.safetensors")));
            Assert.Equal(File.ReadAllBytes(Path.Combine(whole, "iter-1", "judged.jsonl")), File.ReadAllBytes(Path.Combine(killed, "iter-1", "judged.jsonl")));
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }

    [Fact]
    public async Task BadInputFailsWithOneClearLine()
    {
        var root = AptRunTests.Temp();
        try
        {
            var (model, _, pool) = AptRunTests.Setup(root, evalN: 4, poolN: 8);
            var eval = Path.Combine(root, "prompts.jsonl");
            File.WriteAllLines(eval, Enumerable.Range(0, 5).Select(i => $$"""{"id":"q{{i}}","task":"arith","prompt":"Calculate.\n{{i}} + 1"}"""));
            var (code, _, err) = await Finish(Apt(model, eval, pool, Path.Combine(root, "run")));
            Assert.Equal(1, code);
            Assert.StartsWith("error: the checker judge scored none of the 5 records", err.Split('\n').Last(l => l.Length > 0));
            Assert.Contains("no gold answer", err);
            Assert.DoesNotContain("   at ", err);   // a message, not a stack trace

            var (badJudge, _, judgeErr) = await Finish(Apt(model, eval, pool, Path.Combine(root, "run2"), "--judge", "gpt4"));
            Assert.Equal(1, badJudge);
            Assert.Contains("expected checker or llm:<teacher spec>", judgeErr);
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }
}
