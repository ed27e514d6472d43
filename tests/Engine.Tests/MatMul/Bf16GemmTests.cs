using System.Diagnostics;
using Engine.Runtime;
using Engine.Runtime.Cpu;
using Engine.Tests.Cuda;

namespace Engine.Tests.CpuGemm;

/// <summary>
/// The bf16 × bf16 → f32 GEMM (VDPBF16PS machine code and its managed twin) against a double-precision reference
/// computed on the bf16-rounded operands. Tolerance: each output is a k-term f32 sum of exact products, so its error
/// is at most about k·2⁻²⁴·Σ|aₚbₚ| (plus one rounding of alpha/beta); the bound used is twice that. Dropping the
/// rounding of A to bf16 would miss it by orders of magnitude (bf16 keeps 8 bits: relative error up to 2⁻⁹ per term).
/// </summary>
public unsafe class Bf16GemmTests
{
    private static IEnumerable<bool> Kernels() => Bf16Kernel.NativeSupported ? [false, true] : [false];

    [Fact]
    public void MachineCodeMatchesItsAssemblySource()
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(CudaEmulator.RepoRoot(), "native", "cpu", "build-bf16-kernel.sh"));
        psi.ArgumentList.Add("--print");
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"build-bf16-kernel.sh --print failed (needs binutils): {stderr}");
        var assembled = stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(h => Convert.ToByte(h, 16)).ToArray();
        Assert.True(assembled.Length > 100, "suspiciously short kernel");
        Assert.Equal(assembled, Bf16KernelCode.Avx512Bf16_12x32.ToArray());
    }

    [Fact]
    public void CpuidAgreesWithTheLoader()
    {
        // Where CPUID reports AVX512_BF16 on Linux x64, the machine code must load; elsewhere it must not be used.
        bool expect = Bf16Kernel.CpuHasAvx512Bf16() && OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64;
        Assert.True(expect == Bf16Kernel.NativeSupported, $"cpuid={Bf16Kernel.CpuHasAvx512Bf16()} loaded={Bf16Kernel.NativeSupported} reason={Bf16Kernel.UnavailableReason}");
        if (File.Exists("/proc/cpuinfo"))
            Assert.Equal(File.ReadAllText("/proc/cpuinfo").Contains(" avx512_bf16"), Bf16Kernel.CpuHasAvx512Bf16());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(193)]
    public void KernelMatchesReference(int kpairs)
    {
        int mr = Bf16Kernel.MR, nr = Bf16Kernel.NR, k = 2 * kpairs;
        var a = Round(GemmTestData.RandF(11, (long)mr * k));
        var b = GemmTestData.RandF(12, (long)k * nr).Select(DTypeConvert.FloatToBf16).ToArray();
        var c0 = GemmTestData.RandF(13, mr * nr);
        var ap = new uint[kpairs * mr]; var bp = new uint[kpairs * nr];
        fixed (float* pa = a) fixed (uint* pap = ap) Bf16Pack.A(false, pa, k, 0, mr, 0, k, pap);
        fixed (ushort* pb = b) fixed (uint* pbp = bp) Bf16Pack.B(false, pb, nr, 0, k, 0, nr, pbp);
        foreach (float beta in new[] { 0f, 0.5f })
        {
            var (expected, bound) = Reference(false, false, mr, nr, k, 1.25f, a, k, b, nr, beta, c0);
            foreach (bool native in Kernels())
            {
                var c = (float[])c0.Clone();
                fixed (uint* pap = ap, pbp = bp) fixed (float* pc = c) Bf16Kernel.Run(native, kpairs, pap, pbp, pc, nr, 1.25f, beta);
                Check(expected, bound, c, $"kernel native={native} kpairs={kpairs} beta={beta}");
            }
        }
    }

    [Fact]
    public void KernelBetaZeroNeverReadsC()
    {
        int mr = Bf16Kernel.MR, nr = Bf16Kernel.NR, kp = 3;
        var ap = new uint[kp * mr]; var bp = new uint[kp * nr];
        var r = new Random(5);
        for (int i = 0; i < ap.Length; i++) ap[i] = (uint)DTypeConvert.FloatToBf16(r.NextSingle()) | (uint)DTypeConvert.FloatToBf16(r.NextSingle()) << 16;
        for (int i = 0; i < bp.Length; i++) bp[i] = (uint)DTypeConvert.FloatToBf16(r.NextSingle()) | (uint)DTypeConvert.FloatToBf16(r.NextSingle()) << 16;
        foreach (bool native in Kernels())
        {
            var c = Enumerable.Repeat(float.NaN, mr * nr).ToArray();
            fixed (uint* pap = ap, pbp = bp) fixed (float* pc = c) Bf16Kernel.Run(native, kp, pap, pbp, pc, nr, 1f, 0f);
            Assert.All(c, x => Assert.True(float.IsFinite(x) && x != 0f));
        }
    }

    [Theory]
    [InlineData(12, 32, 2)]
    [InlineData(13, 33, 3)]
    [InlineData(5, 70, 17)]
    [InlineData(37, 65, 385)]
    [InlineData(70, 45, 1025)]
    [InlineData(130, 600, 64)]
    public void DriverMatchesReference(int m, int n, int k)
    {
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2; // padded strides: the driver must honour them
            var a = GemmTestData.RandF(1, (long)(ta ? k : m) * lda);
            var b = GemmTestData.RandF(2, (long)(tb ? n : k) * ldb).Select(DTypeConvert.FloatToBf16).ToArray();
            var c0 = GemmTestData.RandF(3, (long)m * ldc);
            var (expected, bound) = Reference(ta, tb, m, n, k, 1.5f, Round(a), lda, b, ldb, 0.25f, c0, ldc);
            foreach (bool native in Kernels())
                foreach (int threads in new[] { 1, 2, 3 })
                {
                    var c = (float[])c0.Clone();
                    fixed (float* pa = a, pc = c) fixed (ushort* pb = b)
                        Gemm.RunBf16Dot(native, ta, tb, m, n, k, 1.5f, pa, lda, pb, ldb, 0.25f, pc, ldc, threads);
                    Check(expected, bound, c, $"bf16 dot {m}x{n}x{k} ta={ta} tb={tb} native={native} threads={threads}", ldc, n);
                    for (int i = 0; i < m; i++)
                        for (int j = n; j < ldc; j++) Assert.Equal(c0[(long)i * ldc + j], c[(long)i * ldc + j]);
                }
        }
    }

    [Fact]
    public void SameBytesWhateverTheThreadCount()
    {
        int m = 100, n = 300, k = 700;
        var a = GemmTestData.RandF(21, (long)m * k);
        var b = GemmTestData.RandF(22, (long)n * k).Select(DTypeConvert.FloatToBf16).ToArray();
        foreach (bool native in Kernels())
        {
            float[]? first = null;
            foreach (int threads in new[] { 1, 2, 3, 4 })
            {
                var c = new float[m * n];
                fixed (float* pa = a, pc = c) fixed (ushort* pb = b) Gemm.RunBf16Dot(native, false, true, m, n, k, 1f, pa, k, pb, k, 0f, pc, n, threads);
                if (first is null) first = c;
                else Assert.True(first.AsSpan().SequenceEqual(c), $"native={native}: {threads} threads differ from 1");
            }
        }
    }

    [Fact]
    public void WeightsEntryUsesTheDotKernelOnlyForBf16ExactActivations()
    {
        // x·Wᵀ with bf16 W. bf16-exact x (autocast) with the kernel on: bit for bit the dot kernel. f32 x, or the kernel
        // off: bit for bit the widening path, so a matmul kept in f32 on purpose is never rounded.
        int m = 24, n = 64, k = 96;
        var a = GemmTestData.RandF(31, (long)m * k);
        var ar = Round(a);
        var b = GemmTestData.RandF(32, (long)n * k).Select(DTypeConvert.FloatToBf16).ToArray();
        float[] Entry(bool dot, float[] x) { var y = new float[m * n]; fixed (float* px = x, py = y) fixed (ushort* pb = b) Gemm.Bf16Weights(dot, false, true, m, n, k, 1f, px, k, pb, k, 0f, py, n); return y; }
        float[] Wide(float[] x) { var y = new float[m * n]; fixed (float* px = x, py = y) fixed (ushort* pb = b) Gemm.SgemmBf16B(false, true, m, n, k, 1f, px, k, pb, k, 0f, py, n); return y; }
        Assert.True(Entry(false, ar).AsSpan().SequenceEqual(Wide(ar)), "off: the widening path");
        Assert.True(Entry(Bf16Kernel.NativeSupported, a).AsSpan().SequenceEqual(Wide(a)), "f32 activations: the widening path");
        fixed (float* pa = a, par = ar)
        {
            Assert.Equal(Gemm.Bf16Route.Widen, Gemm.Bf16RouteOf(false, false, true, m, n, k, par, k));
            Assert.Equal(Gemm.Bf16Route.Widen, Gemm.Bf16RouteOf(true, false, true, m, n, k, pa, k));
            Assert.Equal(Gemm.Bf16Route.Dot, Gemm.Bf16RouteOf(true, false, true, m, n, k, par, k)); // bf16-exact, kernel on: the VDPBF16PS path
        }
        if (Bf16Kernel.NativeSupported)
            Assert.True(Entry(true, ar).AsSpan().SequenceEqual(Wide(ar)), "bf16-exact activations on the dot path give the widening path's bytes");
        Assert.Equal(Bf16Compute.Enabled && Bf16Kernel.NativeSupported, Bf16Compute.Active);
    }

    [Theory]
    [InlineData(13, 33, 17)]
    [InlineData(37, 65, 385)]
    [InlineData(70, 45, 1025)]
    [InlineData(130, 600, 64)]
    [InlineData(24, 100, 777)]
    public void DotKernelGivesTheF32GemmBytes(int m, int n, int k)
    {
        // On bf16-exact A the dot kernel sums each output k = 0, 1, 2, … with one f32 rounding per term (even k in the
        // pair's high half, which VDPBF16PS adds first), in the f32 GEMM's K blocks, with its epilogue: the same bytes
        // as the widening path, for odd k, several K blocks (385, 777, 1025 > KC = 384), edge tiles, every transpose,
        // alpha/beta ≠ 1 and 1–2 threads. (With k = 2p in the low half, as first written, every GEMM of the fixture
        // models differed from the f32 GEMM by 1–4 f32 ulps in some elements.)
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
            foreach (var (alpha, beta) in new[] { (1f, 0f), (1.5f, 0.25f) })
            {
                int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
                var a = Round(GemmTestData.RandF(51, (long)(ta ? k : m) * lda));
                var b = GemmTestData.RandF(52, (long)(tb ? n : k) * ldb).Select(DTypeConvert.FloatToBf16).ToArray();
                var c0 = GemmTestData.RandF(53, (long)m * ldc);
                foreach (int threads in new[] { 1, 2 })
                {
                    var wide = (float[])c0.Clone();
                    fixed (float* pa = a, pc = wide) fixed (ushort* pb = b)
                        Gemm.RunBf16B(ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, threads);
                    foreach (bool native in Kernels())
                    {
                        var c = (float[])c0.Clone();
                        fixed (float* pa = a, pc = c) fixed (ushort* pb = b)
                            Gemm.RunBf16Dot(native, ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, threads);
                        int bad = Enumerable.Range(0, c.Length).Count(i => BitConverter.SingleToInt32Bits(c[i]) != BitConverter.SingleToInt32Bits(wide[i]));
                        Assert.True(bad == 0, $"{m}x{n}x{k} ta={ta} tb={tb} alpha={alpha} beta={beta} native={native} threads={threads}: {bad} elements differ from the f32 GEMM");
                    }
                }
            }
    }

    [Fact]
    public void MachineCodeFlushesDenormalResults()
    {
        // The one documented difference between the paths: VDPBF16PS flushes denormal results to zero, the f32 GEMM
        // keeps them. Products of 2⁻⁷⁰-sized values (2⁻¹⁴⁰ < 2⁻¹²⁶) show which path ran.
        if (!Bf16Kernel.NativeSupported) return;
        int m = 24, n = 64, k = 96;
        var x = Enumerable.Range(0, m * k).Select(i => MathF.ScaleB(1f + (i % 4) / 4f, -70)).ToArray();
        var w = Enumerable.Range(0, n * k).Select(i => DTypeConvert.FloatToBf16(MathF.ScaleB(1f + (i % 3) / 4f, -70))).ToArray();
        var dot = new float[m * n]; var wide = new float[m * n];
        fixed (float* px = x, py = dot, pw2 = wide) fixed (ushort* pw = w)
        {
            Gemm.Bf16Weights(true, false, true, m, n, k, 1f, px, k, pw, k, 0f, py, n);
            Gemm.SgemmBf16B(false, true, m, n, k, 1f, px, k, pw, k, 0f, pw2, n);
        }
        Assert.All(wide, v => Assert.True(v > 0f && v < MathF.ScaleB(1f, -126), $"f32 GEMM: expected a positive denormal, got {v:G9}"));
        Assert.All(dot, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(1, 300, 77)]
    [InlineData(2, 65, 1000)]
    [InlineData(4, 700, 512)]
    [InlineData(3, 9000, 64)]
    [InlineData(1, 37, 1000)] // 15 steps of 64, one 32-weight step, 8 scalars
    [InlineData(1, 33, 255)]  // 3 steps of 64, one 32-weight step, 31 scalars
    [InlineData(1, 19, 512)]  // whole 64-weight steps only
    [InlineData(1, 41, 20)]   // scalar tail only
    [InlineData(3, 45, 3000)] // 36 KiB of x: k blocked
    public void GemvMatchesReferenceWithF32Activations(int m, int n, int k)
    {
        // Decode shape x·Wᵀ through the public entry: x stays f32 (no rounding), W bf16; same bytes on 1, 2 and 3 threads.
        int ldx = k + 5, ldy = n + 3;
        var x = GemmTestData.RandF(41, (long)m * ldx);
        var w = GemmTestData.RandF(42, (long)n * k).Select(DTypeConvert.FloatToBf16).ToArray();
        var y0 = GemmTestData.RandF(43, (long)m * ldy);
        var (expected, bound) = Reference(false, true, m, n, k, 0.75f, x, ldx, w, k, -0.5f, y0, ldy);
        Assert.True(Bf16Gemv.Suits(false, true, m) || !System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated);
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var pin = CpuThreads.Pin(threads);
            var y = (float[])y0.Clone();
            fixed (float* px = x, py = y) fixed (ushort* pw = w) Gemm.SgemmBf16Weights(false, true, m, n, k, 0.75f, px, ldx, pw, k, -0.5f, py, ldy);
            Check(expected, bound, y, $"gemv {m}x{n}x{k} threads={threads}", ldy, n);
            for (int i = 0; i < m; i++) for (int j = n; j < ldy; j++) Assert.Equal(y0[(long)i * ldy + j], y[(long)i * ldy + j]);
            if (first is null) first = y; else Assert.True(first.AsSpan().SequenceEqual(y), $"gemv: {threads} threads differ from 1");
        }
    }

    [Theory]
    [InlineData(2, 37, 1000)]
    [InlineData(3, 50, 255)]
    [InlineData(4, 21, 4096)] // 64 KiB of x: k blocked (KBlocked), against the unblocked m = 1 loop
    [InlineData(2, 19, 3100)] // k blocked, 3 columns in the last group, a 32-weight step and a scalar tail
    public void GemvRowDoesNotDependOnHowManyRowsShareTheCall(int m, int n, int k)
    {
        // Batched decode (m rows of x in one call) gives each row the bytes it gets alone (m = 1), so a prompt's tokens
        // do not depend on what else is in its batch.
        var x = GemmTestData.RandF(51, (long)m * k);
        var w = GemmTestData.RandF(52, (long)n * k).Select(DTypeConvert.FloatToBf16).ToArray();
        var together = new float[m * n]; var alone = new float[m * n];
        fixed (float* px = x, pt = together, pa = alone) fixed (ushort* pw = w)
        {
            Gemm.SgemmBf16Weights(false, true, m, n, k, 1f, px, k, pw, k, 0f, pt, n);
            for (int i = 0; i < m; i++) Gemm.SgemmBf16Weights(false, true, 1, n, k, 1f, px + (long)i * k, k, pw, k, 0f, pa + (long)i * n, n);
        }
        Assert.True(together.AsSpan().SequenceEqual(alone), $"gemv {m}x{n}x{k}: a row's result depends on m");
    }

    private static float[] Round(float[] x) => x.Select(v => DTypeConvert.Bf16ToFloat(DTypeConvert.FloatToBf16(v))).ToArray();

    /// <summary>alpha·op(A)·op(B) + beta·C in double over the given (already bf16-exact) values, with each element's error bound.</summary>
    private static (double[] Expected, double[] Bound) Reference(bool ta, bool tb, int m, int n, int k, float alpha, float[] a, int lda,
        ushort[] b, int ldb, float beta, float[] c0, int ldc = -1)
    {
        if (ldc < 0) ldc = n;
        var e = new double[(long)m * ldc]; var bound = new double[e.Length];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double x = ta ? a[(long)p * lda + i] : a[(long)i * lda + p];
                    double y = DTypeConvert.Bf16ToFloat(tb ? b[(long)j * ldb + p] : b[(long)p * ldb + j]);
                    s += x * y; abs += Math.Abs(x * y);
                }
                double cij = beta == 0f ? 0 : c0[(long)i * ldc + j];
                e[(long)i * ldc + j] = alpha * s + beta * cij;
                bound[(long)i * ldc + j] = 2 * ((k + 2) * Math.Pow(2, -24) * Math.Abs(alpha) * abs + Math.Pow(2, -23) * Math.Abs(beta * cij)) + 1e-30;
            }
        return (e, bound);
    }

    private static void Check(double[] expected, double[] bound, float[] actual, string what, int ldc = -1, int n = -1)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (ldc > 0 && i % ldc >= n) continue; // padding columns of C are not the GEMM's
            if (!(Math.Abs(expected[i] - actual[i]) <= bound[i]))
                Assert.Fail($"{what}: element {i} expected {expected[i]:G9}, got {actual[i]:G9} (bound {bound[i]:G3})");
        }
    }
}
