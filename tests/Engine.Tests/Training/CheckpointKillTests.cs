using Engine.Models.Checkpoints;
using System.Diagnostics;
using Engine.Methods.Training.Checkpoints;
using Engine.Models.Lora;
using Engine.Models.Tokenizers;
using Engine.Models.Transformer;

namespace Engine.Tests.Training;

/// <summary>
/// The real thing: the built CLI trains in a child process, is SIGKILLed while writing a checkpoint (a test-only
/// environment variable pauses the writer half-way), and the previous checkpoint must still load and resume.
/// </summary>
public class CheckpointKillTests
{
    private static string EngineDll => Path.Combine(AppContext.BaseDirectory, "engine.dll");
    private static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";

    private static ProcessStartInfo Sft(string model, string data, string output, bool resume)
    {
        var psi = new ProcessStartInfo(DotnetHost) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { EngineDll, "sft", "--model", model, "--data", data, "--output", output, "--max-steps", "6", "--save-steps", "2",
                     "--batch-size", "2", "--lr", "1e-3", "--log-steps", "1", "--lora", "--lora-targets", "all-linear", "--lora-dropout", "0.1" })
            psi.ArgumentList.Add(a);
        if (resume) psi.ArgumentList.Add("--resume");
        psi.Environment["ENGINE_THREADS"] = "1";
        return psi;
    }

    [Fact]
    public async Task SigkillDuringCheckpointWriteLeavesThePreviousCheckpointLoadable()
    {
        Assert.True(File.Exists(EngineDll), $"engine.dll not next to the tests ({EngineDll})");
        var root = ToyTraining.TempDir();
        Directory.CreateDirectory(root);
        try
        {
            var model = ToyTraining.SaveCheckpoint(root);
            var data = ToyTraining.WriteReversalData(root);
            var output = Path.Combine(root, "out");

            var psi = Sft(model, data, output, resume: false);
            psi.Environment[CheckpointStore.PauseEnvVar] = "1500";
            using (var p = Process.Start(psi)!)
            {
                p.OutputDataReceived += (_, _) => { };
                p.BeginOutputReadLine();
                int pauses = 0;
                var log = new List<string>();
                var deadline = Stopwatch.StartNew();
                // checkpoint-2 pauses then completes; kill at the second pause, inside checkpoint-4's write.
                while (pauses < 2)
                {
                    var line = p.StandardError.ReadLine();
                    if (line is null) Assert.Fail($"engine sft exited early (code {(p.WaitForExit(5000) ? p.ExitCode : -1)}):\n{string.Join('\n', log)}");
                    log.Add(line!);
                    if (line!.StartsWith("checkpoint-pause ", StringComparison.Ordinal)) pauses++;
                    Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(90), "timed out waiting for the checkpoint pause:\n" + string.Join('\n', log));
                }
                p.Kill(); // SIGKILL on Unix
                p.WaitForExit();
            }

            // The half-written checkpoint-4 never got published; checkpoint-2 is complete and loads.
            var list = CheckpointStore.List(output);
            Assert.Equal([2L], list.Select(x => x.Step));
            Assert.False(Directory.Exists(Path.Combine(output, "checkpoint-4")));
            Assert.NotEmpty(Directory.EnumerateDirectories(output, ".tmp-checkpoint-4-*"));
            var ckpt = list[0].Dir;
            var adapter = LoraModel.Load(TransformerModel.Load(model), ckpt);
            Assert.Equal(2 * 7 * 2, adapter.Parameters.Count);
            Assert.Contains(adapter.Parameters, kv => kv.Key.Contains("lora_B") && kv.Value.ToDoubleArray().Any(v => v != 0));
            Assert.NotEmpty(SafeTensorsDictionary.ReadAll(Path.Combine(ckpt, "optimizer.safetensors")));

            // And the run resumes from it to the end, cleaning the partial folder.
            using (var p = Process.Start(Sft(model, data, output, resume: true))!)
            {
                var errTask = p.StandardError.ReadToEndAsync();
                var outText = await p.StandardOutput.ReadToEndAsync();
                var errText = await errTask;
                await p.WaitForExitAsync();
                Assert.True(p.ExitCode == 0, $"resume failed ({p.ExitCode}): {errText}");
                Assert.Contains("resuming at step 2", errText);
                Assert.Contains("trained 6 steps", outText);
            }
            Assert.Empty(Directory.EnumerateDirectories(output, ".tmp-*"));
            Assert.Equal([2L, 4L, 6L], CheckpointStore.List(output).Select(x => x.Step));
            var merged = TransformerModel.Load(output);
            Assert.Equal(TransformerModel.Load(model).ParameterCount, merged.ParameterCount);
        }
        finally { Directory.Delete(root, true); }
    }
}
