namespace Engine.Tests.Cuda;

/// <summary>
/// Execution-model corners that the product kernels don't reach (per-lane shuffle sources as a tensor-core emulation
/// needs, 64-bit shuffles, votes, 3-d geometry, dynamic shared memory, deadlocks, traps), through a separate emulator
/// build of the small kernel file below, written to a temporary folder (kernels/ holds product kernels only).
/// </summary>
[Collection(EmulatorCollection.Name)]
public unsafe class EmulatorSemanticsTests
{
    private const string FileName = "selftest.cu";

    private const string Source = """
        // Emulator self-test kernels (tests/Engine.Tests/Cuda/EmulatorSemanticsTests.cs), not product code.
        extern "C" __global__ void st_shfl_idx(const float* x, const int* src, float* y, int width)
        { int t = threadIdx.x; y[t] = __shfl_sync(0xffffffffu, x[t], src[t], width); }

        extern "C" __global__ void st_shfl_updownxor(const int* x, int* up, int* down, int* xr, int delta, int width)
        {
            int t = threadIdx.x;
            up[t] = __shfl_up_sync(0xffffffffu, x[t], delta, width);
            down[t] = __shfl_down_sync(0xffffffffu, x[t], delta, width);
            xr[t] = __shfl_xor_sync(0xffffffffu, x[t], delta, width);
        }

        extern "C" __global__ void st_shfl64(const double* x, double* y) { int t = threadIdx.x; y[t] = __shfl_sync(0xffffffffu, x[t], 31 - (t & 31)); }

        extern "C" __global__ void st_vote(const int* p, unsigned* ballot, int* any, int* all)
        {
            int t = threadIdx.x;
            ballot[t] = __ballot_sync(0xffffffffu, p[t]);
            any[t] = __any_sync(0xffffffffu, p[t]);
            all[t] = __all_sync(0xffffffffu, p[t]);
        }

        extern "C" __global__ void st_geometry(unsigned* y, unsigned* count)
        {
            unsigned b = (blockIdx.z * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
            unsigned t = (threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x;
            y[b * (blockDim.x * blockDim.y * blockDim.z) + t] = (blockIdx.x << 24) | (blockIdx.y << 16) | (blockIdx.z << 12) | (threadIdx.x << 8) | (threadIdx.y << 4) | threadIdx.z;
            atomicAdd(count, 1u);
        }

        // Thread 0 returns before the barrier: threads that exited no longer count at __syncthreads.
        extern "C" __global__ void st_exit_then_sync(float* y)
        {
            __shared__ float s[256];
            if (threadIdx.x == 0) return;
            s[threadIdx.x] = (float)threadIdx.x;
            __syncthreads();
            y[threadIdx.x] = s[blockDim.x - threadIdx.x];
        }

        // Block 1 reads shared memory only block 0 wrote: stale on a GPU at best; the emulator poisons it per block.
        extern "C" __global__ void st_shared_per_block(float* y)
        {
            __shared__ float s[64];
            if (blockIdx.x == 0) s[threadIdx.x] = 1.0f;
            __syncthreads();
            y[blockIdx.x * blockDim.x + threadIdx.x] = s[threadIdx.x];
        }

        extern "C" __global__ void st_dynamic_shared(const float* x, float* y, int n)
        {
            extern __shared__ float buf[];
            for (int i = threadIdx.x; i < n; i += blockDim.x) buf[i] = x[i];
            __syncthreads();
            for (int i = threadIdx.x; i < n; i += blockDim.x) y[i] = buf[n - 1 - i];
        }

        // Warp 0 waits at __syncthreads; in warp 1 lane 0 returns and the others wait for it in __syncwarp: a deadlock.
        extern "C" __global__ void st_deadlock(float* y)
        {
            if (threadIdx.x < 32) __syncthreads();
            else { if ((threadIdx.x & 31) == 0) return; __syncwarp(); }
            y[threadIdx.x] = 1.0f;
        }

        extern "C" __global__ void st_trap(int* y) { if (blockIdx.x == 1 && threadIdx.x == 5) __trap(); y[threadIdx.x] = 1; }

        extern "C" __global__ void st_oob(const float* x, float* y, int off) { y[threadIdx.x] = x[threadIdx.x + off]; }

        extern "C" __global__ void st_sync_count(const int* p, int* c, int* a, int* o)
        {
            int t = threadIdx.x;
            c[t] = __syncthreads_count(p[t]);
            a[t] = __syncthreads_and(p[t]);
            o[t] = __syncthreads_or(p[t]);
        }
        """;

    private static readonly Lazy<EmulatorApi> Lazy = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), "engine-cuda-emulator-selftest", Environment.ProcessId.ToString());
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, FileName), Source);
        return new EmulatorApi(CudaEmulator.Build(dir));
    });
    private static EmulatorApi Api => Lazy.Value;
    private static IntPtr K(string name) => Api.Kernel(FileName, Source, name);

    [Theory]
    [InlineData(32)]
    [InlineData(16)]
    [InlineData(8)]
    public void ShflSyncReadsAnyLaneOfItsSegment(int width)
    {
        var r = new Random(width);
        var x = Enumerable.Range(0, 64).Select(_ => (float)r.NextDouble()).ToArray();
        var src = Enumerable.Range(0, 64).Select(_ => r.Next(0, 64)).ToArray(); // ≥ width too: taken modulo width
        ulong dx = Api.From<float>(x), ds = Api.From<int>(src), dy = Api.Poisoned<float>(64);
        Api.Check(Api.Launch(K("st_shfl_idx"), (1, 1, 1), (64, 1, 1), 0, IntPtr.Zero, dx, ds, dy, width), "launch");
        var y = Api.Download<float>(dy, 64);
        for (int l = 0; l < 64; l++) Assert.Equal(x[l / width * width + src[l] % width], y[l]);
    }

    [Theory]
    [InlineData(1, 32)]
    [InlineData(5, 32)]
    [InlineData(3, 8)]
    [InlineData(16, 16)]
    public void ShflUpDownXorFollowCudaBoundaryRules(int delta, int width)
    {
        var x = Enumerable.Range(0, 64).Select(i => 1000 + i * 7).ToArray();
        ulong dx = Api.From<int>(x), du = Api.Poisoned<int>(64), dd = Api.Poisoned<int>(64), dxr = Api.Poisoned<int>(64);
        Api.Check(Api.Launch(K("st_shfl_updownxor"), (1, 1, 1), (64, 1, 1), 0, IntPtr.Zero, dx, du, dd, dxr, delta, width), "launch");
        var (up, down, xr) = (Api.Download<int>(du, 64), Api.Download<int>(dd, 64), Api.Download<int>(dxr, 64));
        for (int l = 0; l < 64; l++)
        {
            int lane = l % 32, seg = lane / width * width, warp = l / 32 * 32;
            Assert.Equal(x[lane % width >= delta ? l - delta : l], up[l]);              // below the segment: own value
            Assert.Equal(x[lane % width + delta < width ? l + delta : l], down[l]);     // past the segment: own value
            int xs = lane ^ delta;
            Assert.Equal(x[xs < seg + width ? warp + xs : l], xr[l]);                   // later segment: own value
        }
    }

    [Fact]
    public void SixtyFourBitShufflesAndVotes()
    {
        var x = Enumerable.Range(0, 64).Select(i => Math.PI * i + 1e-12 * i).ToArray();
        ulong dx = Api.From<double>(x), dy = Api.Poisoned<double>(64);
        Api.Check(Api.Launch(K("st_shfl64"), (1, 1, 1), (64, 1, 1), 0, IntPtr.Zero, dx, dy), "launch");
        var y = Api.Download<double>(dy, 64);
        for (int l = 0; l < 64; l++) Assert.Equal(x[l / 32 * 32 + 31 - l % 32], y[l]);

        var p = Enumerable.Range(0, 96).Select(i => i < 32 ? (i % 3 == 0 ? 1 : 0) : i < 64 ? 7 : 0).ToArray(); // warp 0 mixed, 1 all, 2 none
        ulong dp = Api.From<int>(p), db = Api.Poisoned<uint>(96), dan = Api.Poisoned<int>(96), dal = Api.Poisoned<int>(96);
        Api.Check(Api.Launch(K("st_vote"), (1, 1, 1), (96, 1, 1), 0, IntPtr.Zero, dp, db, dan, dal), "launch");
        var (ballot, any, all) = (Api.Download<uint>(db, 96), Api.Download<int>(dan, 96), Api.Download<int>(dal, 96));
        for (int w = 0; w < 3; w++)
        {
            uint want = 0;
            for (int l = 0; l < 32; l++) if (p[w * 32 + l] != 0) want |= 1u << l;
            for (int l = 0; l < 32; l++)
            {
                Assert.Equal(want, ballot[w * 32 + l]);
                Assert.Equal(want != 0 ? 1 : 0, any[w * 32 + l]);
                Assert.Equal(want == uint.MaxValue ? 1 : 0, all[w * 32 + l]);
            }
        }
    }

    [Fact]
    public void ThreeDimensionalGridsAndBlocksVisitEveryThreadOnce()
    {
        (uint x, uint y, uint z) grid = (3, 2, 2), block = (5, 3, 2);
        int total = 3 * 2 * 2 * 5 * 3 * 2;
        ulong dy = Api.Poisoned<uint>(total), dc = Api.From<uint>([0u]);
        Api.Check(Api.Launch(K("st_geometry"), grid, block, 0, IntPtr.Zero, dy, dc), "launch");
        var y = Api.Download<uint>(dy, total);
        int at = 0;
        for (uint bz = 0; bz < 2; bz++) for (uint by = 0; by < 2; by++) for (uint bx = 0; bx < 3; bx++)
            for (uint tz = 0; tz < 2; tz++) for (uint ty = 0; ty < 3; ty++) for (uint tx = 0; tx < 5; tx++)
                Assert.Equal((bx << 24) | (by << 16) | (bz << 12) | (tx << 8) | (ty << 4) | tz, y[at++]);
        Assert.Equal((uint)total, Api.Download<uint>(dc, 1)[0]);
    }

    [Fact]
    public void ExitedThreadsNoLongerCountAtBarriers()
    {
        ulong dy = Api.Poisoned<float>(128);
        Api.Check(Api.Launch(K("st_exit_then_sync"), (1, 1, 1), (128, 1, 1), 0, IntPtr.Zero, dy), "launch");
        var y = Api.Download<float>(dy, 128);
        Assert.True(float.IsNaN(y[0]));
        for (int t = 1; t < 128; t++) Assert.Equal(128 - t, y[t]);
    }

    [Fact]
    public void SharedMemoryIsPoisonedForEachBlock()
    {
        ulong dy = Api.Poisoned<float>(128);
        Api.Check(Api.Launch(K("st_shared_per_block"), (2, 1, 1), (64, 1, 1), 0, IntPtr.Zero, dy), "launch");
        var y = Api.Download<float>(dy, 128);
        Assert.All(y[..64], v => Assert.Equal(1f, v));
        Assert.All(y[64..], v => Assert.True(float.IsNaN(v), "block 1 read block 0's shared memory"));
    }

    [Fact]
    public void DynamicSharedMemoryIsThePerLaunchSize()
    {
        int n = 1000;
        var x = Enumerable.Range(0, n).Select(i => (float)i).ToArray();
        ulong dx = Api.From<float>(x), dy = Api.Poisoned<float>(n);
        Api.Check(Api.Launch(K("st_dynamic_shared"), (1, 1, 1), (128, 1, 1), (uint)(n * 4), IntPtr.Zero, dx, dy, n), "launch");
        var y = Api.Download<float>(dy, n);
        for (int i = 0; i < n; i++) Assert.Equal(n - 1 - i, y[i]);
        Assert.Equal(1, Api.Launch(K("st_dynamic_shared"), (1, 1, 1), (128, 1, 1), 64 * 1024, IntPtr.Zero, dx, dy, n)); // > 48 KiB needs the attribute
    }

    [Fact]
    public void OutOfBoundsAccessesFailTheLaunchNamingTheThread()
    {
        ulong dx = Api.From<float>(new float[64]), dy = Api.Poisoned<float>(64); // 256 bytes: the guard page starts right after
        Api.Check(Api.Launch(K("st_oob"), (1, 1, 1), (64, 1, 1), 0, IntPtr.Zero, dx, dy, 0), "in-bounds launch");
        int rc = Api.Launch(K("st_oob"), (1, 1, 1), (64, 1, 1), 0, IntPtr.Zero, dx, dy, 1);
        Assert.Equal(700, rc); // CUDA_ERROR_ILLEGAL_ADDRESS
        var msg = Api.ErrorString(rc);
        Assert.Contains("out-of-bounds access: kernel st_oob", msg);
        Assert.Contains("thread (63,0,0)", msg);
        Assert.Contains("0 bytes past the end of a 256-byte allocation", msg);
        // The runtime's own SIGSEGV handling (null references) is back in place after the launch.
        string? none = null;
        Assert.Throws<NullReferenceException>(() => none!.Length);
        Api.Check(Api.Launch(K("st_oob"), (1, 1, 1), (64, 1, 1), 0, IntPtr.Zero, dx, dy, 0), "launch after the fault");
    }

    [Fact]
    public void SyncthreadsCountAndOrCountLiveThreads()
    {
        var p = Enumerable.Range(0, 96).Select(i => i % 5 == 0 ? 3 : 0).ToArray();
        ulong dp = Api.From<int>(p), dc = Api.Poisoned<int>(96), da = Api.Poisoned<int>(96), d0 = Api.Poisoned<int>(96);
        Api.Check(Api.Launch(K("st_sync_count"), (1, 1, 1), (96, 1, 1), 0, IntPtr.Zero, dp, dc, da, d0), "launch");
        Assert.All(Api.Download<int>(dc, 96), v => Assert.Equal(p.Count(x => x != 0), v));
        Assert.All(Api.Download<int>(da, 96), v => Assert.Equal(0, v));
        Assert.All(Api.Download<int>(d0, 96), v => Assert.Equal(1, v));
    }

    [Fact]
    public void DeadlocksAndTrapsFailTheLaunchWithWhereAndWhy()
    {
        ulong dy = Api.Poisoned<float>(64);
        int rc = Api.Launch(K("st_deadlock"), (1, 1, 1), (64, 1, 1), 0, IntPtr.Zero, dy);
        Assert.Equal(719, rc);
        var msg = Api.ErrorString(rc);
        Assert.Contains("deadlock in kernel st_deadlock", msg);
        Assert.Contains("32 wait at __syncthreads", msg);
        Assert.Contains("warp 1 waits in a warp collective", msg);
        Assert.Contains("0(returned)", msg);

        rc = Api.Launch(K("st_trap"), (2, 1, 1), (32, 1, 1), 0, IntPtr.Zero, Api.Poisoned<int>(32));
        Assert.Equal(719, rc);
        msg = Api.ErrorString(rc);
        Assert.Contains("block (1,0,0) thread (5,0,0)", msg);
        Assert.Contains("__trap()", msg);

        // The emulator is usable after a failed launch.
        ulong dz = Api.Poisoned<float>(128);
        Api.Check(Api.Launch(K("st_exit_then_sync"), (1, 1, 1), (128, 1, 1), 0, IntPtr.Zero, dz), "launch after failures");
    }
}
