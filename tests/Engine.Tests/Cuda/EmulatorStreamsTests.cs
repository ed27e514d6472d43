using Xunit.Abstractions;

namespace Engine.Tests.Cuda;

/// <summary>Streams, events, graphs, the stream-ordered pool and cuBLASLt through the real C# code on the CUDA emulator.</summary>
[Collection(EmulatorCollection.Name)]
public class EmulatorStreamsTests(ITestOutputHelper output)
{
    [Fact]
    public void EventOrdersWorkAcrossStreams()
    {
        var r = CudaEmulator.Inside<double[]>(nameof(EmulatorInside.StreamsEventOrdering));
        Assert.True(r[0] <= 1e-6, $"max error {r[0]}");
        Assert.Equal(1, r[1]);
        Assert.True(r[2] >= 0, $"elapsed {r[2]} ms");
    }

    [Fact]
    public void GraphReplaysRecomputeFromCurrentInputsAndKeepTheirScratchMemory()
    {
        var r = CudaEmulator.Inside<double[]>(nameof(EmulatorInside.GraphReplay));
        output.WriteLine(string.Join(", ", r));
        Assert.Equal(1, r[0]);                 // capturing ran nothing
        Assert.True(r[1] <= 1e-6, $"first replay error {r[1]}");
        Assert.True(r[2] <= 1e-6, $"replay after new input error {r[2]}");
        Assert.Equal(Engine.Runtime.Cuda.CudaMemoryPool.SizeClass(2053 * 4), r[3]); // the scratch freed inside the capture
        Assert.Equal(r[3], r[4]);              // ...returns to the pool when the graph goes
    }

    [Fact]
    public void CapturedCublasLtMatmulReplaysOnNewInput() =>
        Assert.True(CudaEmulator.Inside<double>(nameof(EmulatorInside.GraphWithMatmul)) <= 1e-5);

    [Theory]
    [InlineData(1, 1, 1, false, false, "F32", "F32", false, 1, 1e-6)]
    [InlineData(37, 23, 61, false, false, "F32", "F32", true, 1, 1e-6)]
    [InlineData(37, 23, 61, true, false, "F32", "F32", false, 1, 1e-6)]
    [InlineData(37, 23, 61, false, true, "F32", "F32", true, 1, 1e-6)]
    [InlineData(37, 23, 61, true, true, "F32", "F32", false, 1, 1e-6)]
    [InlineData(19, 45, 70, false, true, "BF16", "F32", true, 1, 1e-6)]
    [InlineData(19, 45, 70, false, false, "BF16", "BF16", false, 1, 8e-3)]
    [InlineData(19, 45, 70, true, false, "BF16", "BF16", true, 1, 8e-3)]
    [InlineData(7, 13, 17, false, false, "F32", "F32", true, 3, 1e-6)]
    [InlineData(7, 13, 17, true, true, "BF16", "BF16", false, 4, 8e-3)]
    public void CublasLtMatchesAPlainLoop(int m, int n, int k, bool ta, bool tb, string ab, string c, bool bias, int batch, double tol)
    {
        var err = CudaEmulator.Inside<double[]>(nameof(EmulatorInside.BlasLt), m, n, k, ta, tb, ab, c, bias, batch)[0];
        Assert.True(err <= tol, $"normwise error {err:E2} > {tol:E0}");
    }

    [Fact]
    public void Bf16MatMulGoesThroughCublasLt()
    {
        var r = CudaEmulator.Inside<string[]>(nameof(EmulatorInside.BackendBf16MatMul));
        output.WriteLine(string.Join(" | ", r));
        Assert.StartsWith("cuBLASLt", r[0]);
        Assert.True(double.Parse(r[1]) <= 1e-2, $"bf16 matmul error {r[1]}"); // output rounded to bf16
    }

    [Fact]
    public void PoolReusesAcrossStreamsOnceTheFreeEventCompletedOrTheStreamIsGone()
    {
        var r = CudaEmulator.Inside<double[]>(nameof(EmulatorInside.PoolCrossStream));
        Assert.Equal([1, 2, 2], r[..3]); // b and d reused, a and c the only driver allocations
        Assert.Equal(1, r[3]);
    }

    [Fact]
    public void CudaBenchRunsItsGraphAndCublasLtPaths()
    {
        var lines = CudaEmulator.Inside<string[]>(nameof(EmulatorInside.PlumbingBench));
        foreach (var l in lines) output.WriteLine(l);
        Assert.Equal(2, lines.Length);
        Assert.Contains("graph", lines[0]);
        Assert.Contains("cuBLASLt", lines[1]);
    }

    [Fact]
    public void FailedCapturesRethrowAndLeaveTheStreamAndPoolUsable()
    {
        var r = CudaEmulator.Inside<string[]>(nameof(EmulatorInside.FailedCaptures));
        foreach (var l in r) output.WriteLine(l);
        Assert.Equal(3, r.Length);
        Assert.Equal("body failed on purpose", r[0]);
        Assert.Contains("cuStreamSynchronize", r[1]);
        Assert.Equal("ok", r[2]);
    }

    /// <summary>Scoring on cuda reads log-probs back as doubles: that conversion happens on the host (no f64 kernels).</summary>
    [Fact]
    public void CudaTensorsReadBackAsDoubles()
    {
        var r = CudaEmulator.Inside<double[]>(nameof(EmulatorInside.DoubleReadback));
        Assert.Equal(0, r[0]);
        Assert.Equal(r[2], r[1]);
    }
}
