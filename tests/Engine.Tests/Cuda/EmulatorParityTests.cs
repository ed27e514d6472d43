using System.Text.Json.Nodes;
using Engine.Tests.Models;
using Xunit.Abstractions;

namespace Engine.Tests.Cuda;

/// <summary>
/// The CUDA backend end to end on the CPU emulator: the unchanged C# backend (marshalling, launch geometry, cuBLAS
/// mapping) plus every kernel's logic, held against the CPU reference by the parity suite, and whole Transformer
/// forwards on cuda:0 against the fixtures' float64 PyTorch logits.
/// </summary>
[Collection(EmulatorCollection.Name)]
public class EmulatorParityTests(ITestOutputHelper output)
{
    [Fact]
    public void RunsOnTheEmulatorAndSaysSo() => Assert.Equal("Engine CPU emulator (not a GPU)", CudaEmulator.Inside<string>(nameof(EmulatorInside.DeviceName)));

    /// <summary>
    /// What a person runs, in its own process: with ENGINE_CUDA_EMULATOR set, `engine doctor` says the CUDA libraries are
    /// the emulator and finds its one device. (Without --device cuda, so the parity suite is not run a second time.)
    /// </summary>
    [Fact]
    public async Task DoctorOnTheEmulatorSaysItIsNotAGpu()
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "engine.dll"));
        psi.ArgumentList.Add("doctor");
        psi.Environment["ENGINE_CUDA_EMULATOR"] = CudaEmulator.LibraryPath;
        psi.Environment["ENGINE_HOME"] = Path.Combine(Path.GetTempPath(), "engine-emulator-doctor-" + Environment.ProcessId);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var text = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        output.WriteLine(text + await err);
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("emulator    ENGINE_CUDA_EMULATOR=" + CudaEmulator.LibraryPath, text);
        Assert.Contains("cuda        found: 1 device(s)", text);
        Assert.Contains("nvrtc       NVRTC 12.0 (" + CudaEmulator.LibraryPath + ")", text);
    }

    [Fact]
    public void EveryParitySuiteRowPasses()
    {
        var rows = CudaEmulator.Inside<string[]>(nameof(EmulatorInside.ParitySuite), 20261125UL);
        foreach (var r in rows) output.WriteLine(r);
        Assert.True(rows.Length > 100, $"only {rows.Length} parity rows");
        var failed = rows.Where(r => !r.EndsWith("\tpass")).ToArray();
        Assert.True(failed.Length == 0, $"{failed.Length} of {rows.Length} parity rows failed on the CUDA emulator:\n{string.Join('\n', failed)}");
    }

    public static IEnumerable<object[]> Fixtures() => TransformerParityTests.Cases();

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void TransformerForwardOnCudaMatchesTheReference(string fixture)
    {
        var err = CudaEmulator.Inside<double[]>(nameof(EmulatorInside.FixtureForward), fixture);
        output.WriteLine($"{fixture}: max rel logit error vs float64 reference {err[0]:E2}, vs CPU backend {err[1]:E2}");
        Assert.True(err[0] <= 1e-4, $"{fixture} on cuda (emulated): max relative logit error vs reference {err[0]:E2} > 1e-4");
        Assert.True(err[1] <= 1e-4, $"{fixture} on cuda (emulated): max relative logit error vs CPU backend {err[1]:E2} > 1e-4");
    }

    [Fact]
    public void GreedyDecodingWithKvCacheOnCudaMatchesTheReference()
    {
        const string fixture = "llama_gqa_tied";
        var reference = JsonNode.Parse(File.ReadAllText(Path.Combine(TransformerParityTests.FixtureDir(fixture), "reference.json")))!;
        var prompt = reference["greedy_prompt"]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
        var expected = reference["greedy_continuation"]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
        Assert.Equal(expected, CudaEmulator.Inside<int[]>(nameof(EmulatorInside.FixtureGreedy), fixture, prompt, expected.Length));
    }
}

/// <summary>Emulator tests share one isolated engine and one emulator build; run them one at a time.</summary>
[CollectionDefinition(Name)]
public class EmulatorCollection { public const string Name = "cuda-emulator"; }
