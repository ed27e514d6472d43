using System.Diagnostics;
using Xunit.Abstractions;

namespace Engine.Tests.OpCases;

/// <summary>The table through the `engine` command: doctor on the CPU, bench ops.</summary>
public class OpTableCliTests(ITestOutputHelper output)
{
    private (int Exit, string Out) Engine(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "engine.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        output.WriteLine(text + err.Result);
        return (p.ExitCode, text);
    }

    [Fact]
    public void DoctorOnTheCpuChecksTheFamilyAgainstReferencesAndGradients()
    {
        var (exit, text) = Engine("doctor", "--device", "cpu", "--filter", "Norm", "--seed", "3");
        Assert.Equal(0, exit);
        Assert.Contains("capability  RmsNorm", text);
        Assert.Matches(@"(\d+) of \1 reference checks passed", text);
        Assert.Matches(@"([1-9]\d*) of \1 gradient checks passed", text);
        Assert.Contains("rmsnorm.bwd.w", text);
    }

    [Fact]
    public void BenchOpsTimesTheMatchingCases()
    {
        var (exit, text) = Engine("bench", "ops", "--filter", "rmsnorm", "--reps", "2");
        Assert.Equal(0, exit);
        var lines = text.Split('\n').Where(l => l.StartsWith("Norm ")).ToArray();
        Assert.Equal(3, lines.Length); // the three f32 shapes; the bf16 case is not the CPU's (its capabilities lack it)
        foreach (var l in lines) Assert.Matches(@"rmsnorm\s+\[\d+, \d+\]\s+\d+\.\d\s+\d+\.\d\d\s+\d+\.\d{3}", l); // µs, GB/s, TFLOP/s (the case counts its FLOPs)
    }
}
