using Engine.Runtime.Cuda;

namespace Engine.Tests.Cuda;

/// <summary>
/// The emulator's execution model through product kernels (block_sum / block_max via rmsnorm and softmax, warp shuffles
/// via both), for block shapes the engine does not use, against plain loops; and its driver/NVRTC checks: stale sources,
/// foreign images, pointer arguments, geometry, copies, and stream capture into graphs.
/// </summary>
[Collection(EmulatorCollection.Name)]
public unsafe class EmulatorDriverTests
{
    private static readonly Lazy<EmulatorApi> Lazy = new(() => new EmulatorApi(CudaEmulator.LibraryPath));
    private static EmulatorApi Api => Lazy.Value;

    private static IntPtr Kernel(string file, string name) => Api.Kernel(file, KernelSources.Source(file), name, KernelSources.Headers());

    private static float[] Rand(int n, int seed, double scale = 3)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)((r.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    [Theory]
    [InlineData(32, 1)]
    [InlineData(64, 1000)]
    [InlineData(96, 37)]
    [InlineData(1024, 4099)]
    [InlineData(1024, 5)]
    public void SoftmaxRowsAreRightForAnyWarpMultipleBlock(int block, int d)
    {
        int rows = 3;
        var x = Rand(rows * d, block + d);
        ulong dx = Api.From<float>(x), dy = Api.Poisoned<float>(rows * d);
        foreach (var log in new[] { 0, 1 })
        {
            Api.Check(Api.Launch(Kernel("softmax.cu", "softmax_fwd_f32"), ((uint)rows, 1, 1), ((uint)block, 1, 1), 0, IntPtr.Zero, dx, dy, d, log), "launch");
            var got = Api.Download<float>(dy, rows * d);
            for (int r = 0; r < rows; r++)
            {
                double m = double.NegativeInfinity, s = 0;
                for (int i = 0; i < d; i++) m = Math.Max(m, x[r * d + i]);
                for (int i = 0; i < d; i++) s += Math.Exp(x[r * d + i] - m);
                for (int i = 0; i < d; i++)
                {
                    double want = log == 1 ? x[r * d + i] - m - Math.Log(s) : Math.Exp(x[r * d + i] - m) / s;
                    Assert.True(Math.Abs(got[r * d + i] - want) <= 2e-6 * Math.Max(1, Math.Abs(want)), $"block {block}, d {d}, log {log}: y[{r},{i}] = {got[r * d + i]}, want {want}");
                }
            }
        }
    }

    [Theory]
    [InlineData(32, 37)]
    [InlineData(160, 1000)]
    [InlineData(1024, 3)]
    public void RmsNormRowsAreRightForAnyWarpMultipleBlock(int block, int d)
    {
        int rows = 4;
        var x = Rand(rows * d, block * 7 + d); var w = Rand(d, d);
        ulong dx = Api.From<float>(x), dw = Api.From<float>(w), dy = Api.Poisoned<float>(rows * d), dr = Api.Poisoned<float>(rows);
        Api.Check(Api.Launch(Kernel("norm.cu", "rmsnorm_fwd_f32"), ((uint)rows, 1, 1), ((uint)block, 1, 1), 0, IntPtr.Zero, dx, dw, dy, dr, d, 1e-6f), "launch");
        var y = Api.Download<float>(dy, rows * d); var rstd = Api.Download<float>(dr, rows);
        for (int r = 0; r < rows; r++)
        {
            double ss = 0;
            for (int i = 0; i < d; i++) ss += (double)x[r * d + i] * x[r * d + i];
            double want = 1 / Math.Sqrt(ss / d + 1e-6);
            Assert.True(Math.Abs(rstd[r] - want) <= 1e-6 * want, $"block {block}: rstd[{r}] = {rstd[r]}, want {want}");
            for (int i = 0; i < d; i++) Assert.True(Math.Abs(y[r * d + i] - x[r * d + i] * want * w[i]) <= 1e-5 * Math.Max(1, Math.Abs(x[r * d + i] * want * w[i])));
        }
    }

    [Fact]
    public void APartialWarpInBlockSumIsReportedNotSilentlyWrong()
    {
        // block_sum's shuffles assume blockDim.x is a multiple of 32; with 48 threads lanes 16–31 of warp 1 don't exist.
        ulong dx = Api.From<float>(Rand(100, 1)), dy = Api.Poisoned<float>(100);
        int rc = Api.Launch(Kernel("softmax.cu", "softmax_fwd_f32"), (1, 1, 1), (48, 1, 1), 0, IntPtr.Zero, dx, dy, 100, 0);
        Assert.Equal(719, rc); // CUDA_ERROR_LAUNCH_FAILED
        var msg = Api.ErrorString(rc);
        Assert.Contains("softmax_fwd_f32", msg);
        Assert.Contains("not in the mask", msg);
    }

    [Fact]
    public void GridStrideKernelsCoverEveryElementOnce()
    {
        // 65,537 elements on fewer threads than elements: every output written, none twice (y = x·2 + 1 exactly).
        int n = 65_537;
        var x = Rand(n, 5);
        ulong dx = Api.From<float>(x), dy = Api.Poisoned<float>(n);
        Api.Check(Api.Launch(Kernel("elementwise.cu", "affine_f32"), (7, 1, 1), (96, 1, 1), 0, IntPtr.Zero, dx, dy, 2f, 1f, (long)n), "launch");
        var y = Api.Download<float>(dy, n);
        for (int i = 0; i < n; i++) Assert.Equal(x[i] * 2f + 1f, y[i]);
    }

    [Fact]
    public void AStaleKernelSourceFailsToCompileWithAClearLog()
    {
        var (rc, log, _) = Api.Compile("softmax.cu", KernelSources.Source("softmax.cu") + "\n// edited after the emulator was built\n", KernelSources.Headers());
        Assert.Equal(6, rc); // NVRTC_ERROR_COMPILATION
        Assert.Contains("stale", log);
        var headers = KernelSources.Headers().ToDictionary(h => h.Key, h => h.Value + " ");
        (rc, log, _) = Api.Compile("softmax.cu", KernelSources.Source("softmax.cu"), headers);
        Assert.Equal(6, rc);
        Assert.Contains("common.cuh", log);
        (rc, log, _) = Api.Compile("nosuch.cu", "extern \"C\" __global__ void f() {}");
        Assert.Equal(6, rc);
        Assert.Contains("nosuch.cu", log);
    }

    [Fact]
    public void RealPtxAndUnknownKernelsAreRejected()
    {
        var ptx = System.Text.Encoding.UTF8.GetBytes(".version 8.0\n.target sm_90\n.address_size 64\n\0");
        int rc = Api.LoadModule(ptx, out _);
        Assert.Equal(200, rc); // CUDA_ERROR_INVALID_IMAGE
        Assert.Contains("not real PTX", Api.ErrorString(rc));
        var (c, _, image) = Api.Compile("norm.cu", KernelSources.Source("norm.cu"), KernelSources.Headers());
        Assert.Equal(0, c);
        Api.Check(Api.LoadModule(image, out var m), "cuModuleLoadData");
        Assert.Equal(0, Api.GetFunction(m, "rmsnorm_fwd_f32", out _));
        Assert.Equal(500, Api.GetFunction(m, "softmax_fwd_f32", out _)); // a kernel of another file: CUDA_ERROR_NOT_FOUND
    }

    [Fact]
    public void HostPointersAndBadGeometryAreLaunchErrors()
    {
        var f = Kernel("elementwise.cu", "affine_f32");
        ulong dy = Api.Poisoned<float>(16);
        var host = new float[16];
        fixed (float* h = host)
        {
            int rc = Api.Launch(f, (1, 1, 1), (32, 1, 1), 0, IntPtr.Zero, (ulong)h, dy, 1f, 0f, 16L);
            Assert.Equal(700, rc); // CUDA_ERROR_ILLEGAL_ADDRESS
            Assert.Contains("argument #0", Api.ErrorString(rc));
        }
        ulong dx = Api.From<float>(host);
        Assert.Equal(1, Api.Launch(f, (1, 1, 1), (1025, 1, 1), 0, IntPtr.Zero, dx, dy, 1f, 0f, 16L)); // > 1024 threads
        Assert.Equal(1, Api.Launch(f, (0, 1, 1), (32, 1, 1), 0, IntPtr.Zero, dx, dy, 1f, 0f, 16L));    // empty grid
        Assert.Equal(1, Api.Upload<float>(dy, new float[17]));                                          // copy past the allocation
    }

    [Fact]
    public void CapturedLaunchesAndGemmsReplayWithTheirRecordedArguments()
    {
        int n = 40;
        var x = Rand(n, 9);
        var s = Api.CreateStream();
        var h = Api.Blas();
        Api.Check(Api.BlasSetStream(h, s), "cublasSetStream");
        ulong dx = Api.From<float>(x), dy = Api.Poisoned<float>(n), dc = Api.Poisoned<float>(16);
        var affine = Kernel("elementwise.cu", "affine_f32");

        Api.Check(Api.BeginCapture(s), "cuStreamBeginCapture");
        Assert.Equal(1, Api.CaptureStatus(s));
        Api.Check(Api.Launch(affine, (2, 1, 1), (32, 1, 1), 0, s, dx, dy, 3f, -1f, (long)n), "captured launch");
        // y viewed as a 4×10 column-major matrix: C (4×4) = y·yᵀ.
        Api.Check(Api.GemmEx(h, 0, 1, 4, 4, 10, 1f, dy, 0, 4, dy, 0, 4, 0f, dc, 0, 4), "captured gemm");
        Assert.All(Api.Download<float>(dy, n), v => Assert.True(float.IsNaN(v))); // recorded, not run
        ulong extra;
        Assert.Equal(900, ((delegate* unmanaged<ulong*, nuint, int>)Api.Sym("cuMemAlloc_v2"))(&extra, 64)); // forbidden during global capture...
        Assert.Equal(2, Api.CaptureStatus(s));                                                             // ...and it invalidates the capture
        Assert.Equal(901, Api.EndCapture(s, out var broken));
        Assert.Equal(IntPtr.Zero, broken);

        Api.Check(Api.BeginCapture(s), "cuStreamBeginCapture");
        Api.Check(Api.Launch(affine, (2, 1, 1), (32, 1, 1), 0, s, dx, dy, 3f, -1f, (long)n), "captured launch");
        Api.Check(Api.GemmEx(h, 0, 1, 4, 4, 10, 1f, dy, 0, 4, dy, 0, 4, 0f, dc, 0, 4), "captured gemm");
        Api.Check(Api.EndCapture(s, out var graph), "cuStreamEndCapture");
        Assert.Equal(0, Api.CaptureStatus(s));
        var exec = Api.Instantiate(graph);
        foreach (var round in new[] { 0, 1 })
        {
            if (round == 1) { x = Rand(n, 10); Api.Check(Api.Upload<float>(dx, x), "upload"); } // a replay reads the buffers' current contents
            Api.Check(Api.GraphLaunch(exec, s), "cuGraphLaunch");
            var y = Api.Download<float>(dy, n);
            for (int i = 0; i < n; i++) Assert.True(Math.Abs(3.0 * x[i] - 1 - y[i]) <= 1e-6 * Math.Abs(3.0 * x[i] - 1), $"round {round}: y[{i}] = {y[i]}"); // fused or not
            var c = Api.Download<float>(dc, 16);
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                {
                    double want = 0;
                    for (int p = 0; p < 10; p++) want += (double)y[i + 4 * p] * y[j + 4 * p];
                    Assert.True(Math.Abs(c[i + 4 * j] - want) <= 1e-5 * Math.Max(1, Math.Abs(want)), $"round {round}: C[{i},{j}] = {c[i + 4 * j]}, want {want}");
                }
        }
    }
}
