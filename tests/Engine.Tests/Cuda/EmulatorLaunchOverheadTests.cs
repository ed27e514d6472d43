using Xunit.Abstractions;

namespace Engine.Tests.Cuda;

/// <summary>
/// Host cost of a kernel launch, measured on the emulator (bench/results/cuda-launch-overhead.md): the typed launchers
/// box nothing and allocate nothing, directly and through an op that allocates no tensor.
/// </summary>
[Collection(EmulatorCollection.Name)]
public class EmulatorLaunchOverheadTests(ITestOutputHelper output)
{
    [Fact]
    public void TypedLaunchesAllocateNoManagedMemory()
    {
        var r = CudaEmulator.Inside<double[]>(nameof(EmulatorInside.LaunchOverhead), 10_000);
        output.WriteLine($"scale_inplace_f32 launch: {r[0]:F1} bytes, {r[1]:F2} µs; ScaleInPlace op: {r[2]:F1} bytes, {r[3]:F2} µs; rmsnorm_fwd_f32 launch: {r[4]:F1} bytes, {r[5]:F2} µs (per launch)");
        Assert.True(r[0] < 1 && r[2] < 1 && r[4] < 1, $"managed bytes per launch: {r[0]:F1}, {r[2]:F1}, {r[4]:F1} (0 expected)");
    }
}
