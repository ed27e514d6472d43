using Xunit.Abstractions;

namespace Engine.Tests.Cuda;

/// <summary>Conv1d through Ops and autograd on the emulated CUDA device against the CPU backend (the parity rows test the backend calls alone).</summary>
[Collection(EmulatorCollection.Name)]
public class EmulatorConv1dTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(2, 13, 50, 24, 3, 1, 1, 1)]
    [InlineData(2, 24, 50, 24, 3, 2, 1, 1)]
    [InlineData(3, 5, 37, 7, 5, 3, 4, 2)]
    public void ForwardAndGradientsMatchTheCpu(int b, int cin, int l, int cout, int k, int s, int p, int d)
    {
        var err = CudaEmulator.Inside<double[]>(nameof(EmulatorInside.Conv1dAutograd), new[] { b, cin, l, cout, k, s, p, d });
        output.WriteLine($"y {err[0]:E2}  dx {err[1]:E2}  dw {err[2]:E2}  db {err[3]:E2}");
        string[] names = ["y", "dx", "dw", "db"];
        for (int i = 0; i < 4; i++) Assert.True(err[i] <= 1e-5, $"conv1d {names[i]} on cuda (emulated) vs cpu: max relative error {err[i]:E2} > 1e-5");
    }
}
