using System.Diagnostics;
using System.Text.RegularExpressions;
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Evaluation.Testbed;
using Xunit.Abstractions;

namespace Engine.Tests.Models;

/// <summary>`engine bench decode` out of process: tokens/s of both phases and a per-op breakdown of each.</summary>
public sealed class BenchDecodeCliTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "engine-bench-decode-" + Guid.NewGuid().ToString("N"));

    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    [Theory]
    [InlineData("f32")]
    [InlineData("bf16")]
    public async Task ReportsBothPhasesAndADecodeBreakdownPerToken(string dtype)
    {
        var records = TestbedGenerator.Generate(new TestbedOptions { N = 50, Seed = 4 });
        const int layers = 2;
        var model = TestbedExperiment.MakeTinyModel(Path.Combine(_root, "m"), TestbedExperiment.ChatText(records),
            new TestbedExperiment.TinyModelSize(Hidden: 32, Layers: layers, Intermediate: 64, Vocab: 300), seed: 3);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "engine.dll"), "bench", "decode", "--model", model,
                     "--prompt", "12", "--tokens", "5", "--reps", "1", "--threads", "1", "--dtype", dtype })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var text = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        output.WriteLine(text + await err);
        Assert.Equal(0, p.ExitCode);
        Assert.Matches(@"prefill \d+ tokens/s \([\d.]+ ms\); decode [\d.]+ tokens/s", text);
        int at = text.IndexOf("decode breakdown", StringComparison.Ordinal);
        Assert.True(at > 0, "no decode breakdown");
        // Per generated token: q, k, v, o, gate, up and down in each layer, then the LM head.
        var matmul = Regex.Match(text[at..], @"\nmatmul\s+[\d.]+\s+[\d.]+ %\s+(\d+)");
        Assert.True(matmul.Success, "no matmul row in the decode breakdown");
        Assert.Equal(7 * layers + 1, int.Parse(matmul.Groups[1].Value));
    }
}
