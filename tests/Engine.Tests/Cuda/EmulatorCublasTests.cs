namespace Engine.Tests.Cuda;

/// <summary>
/// The emulator's cuBLAS against cuBLAS's documented contract, called through its C ABI (not through our row-major
/// wrapper): C = alpha·op(A)·op(B) + beta·C, column-major, element (i, j) of X at X[i + j·ldX], padding rows of C
/// (ldc &gt; m) untouched, C not read when beta = 0. Reference: a plain triple loop in double.
/// </summary>
[Collection(EmulatorCollection.Name)]
public unsafe class EmulatorCublasTests
{
    private const int R32F = 0, R16F = 2, R16BF = 14;
    private static readonly Lazy<EmulatorApi> Lazy = new(() => new EmulatorApi(CudaEmulator.LibraryPath));
    private static EmulatorApi Api => Lazy.Value;

    private static float[] Rand(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>Column-major reference and the per-element error bound 1e-5·(|alpha|·Σ|a·b| + |beta·c|) (+ rounding of the output type).</summary>
    private static (double[] want, double[] bound) Reference(bool ta, bool tb, int m, int n, int k, double alpha, float[] a, int lda, long sa,
        float[] b, int ldb, long sb, double beta, float[] c, int ldc, long sc, int batch, int idx0 = 0)
    {
        var want = c.Select(v => (double)v).ToArray();
        var bound = new double[c.Length];
        for (int bi = 0; bi < batch; bi++)
            for (int j = 0; j < n; j++)
                for (int i = 0; i < m; i++)
                {
                    double acc = 0, mag = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double av = a[bi * sa + (ta ? p + (long)i * lda : i + (long)p * lda)];
                        double bv = b[bi * sb + (tb ? j + (long)p * ldb : p + (long)j * ldb)];
                        acc += av * bv;
                        mag += Math.Abs(av * bv);
                    }
                    long ci = bi * sc + i + (long)j * ldc;
                    double old = beta == 0 ? 0 : c[ci];
                    want[ci] = alpha * acc + beta * old;
                    bound[ci] = Math.Abs(alpha) * mag + Math.Abs(beta * old);
                }
        return (want, bound);
    }

    private static void AssertClose(double[] want, double[] bound, float[] got, double rel, string what)
    {
        for (int i = 0; i < want.Length; i++)
        {
            double err = Math.Abs(got[i] - want[i]);
            Assert.True(err <= rel * bound[i] + 1e-30 || (bound[i] == 0 && got[i] == want[i]),
                $"{what}: C[{i}] = {got[i]} but the column-major reference gives {want[i]} (|err| {err:E2} > {rel:E0}·{bound[i]:E2})");
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void GemmExFollowsTheColumnMajorContract(bool ta, bool tb)
    {
        int m = 13, n = 7, k = 9;
        int lda = (ta ? k : m) + 3, ldb = (tb ? n : k) + 2, ldc = m + 4; // leading dimensions larger than the matrices
        var a = Rand(lda * (ta ? m : k), 1); var b = Rand(ldb * (tb ? k : n), 2); var c = Rand(ldc * n, 3);
        float alpha = 0.75f, beta = -1.25f;
        var (want, bound) = Reference(ta, tb, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);
        var h = Api.Blas();
        ulong da = Api.From<float>(a), db = Api.From<float>(b), dc = Api.From<float>(c);
        Api.Check(Api.GemmEx(h, ta ? 1 : 0, tb ? 1 : 0, m, n, k, alpha, da, R32F, lda, db, R32F, ldb, beta, dc, R32F, ldc), "cublasGemmEx");
        AssertClose(want, bound, Api.Download<float>(dc, c.Length), 1e-5, $"GemmEx {(ta ? "T" : "N")}{(tb ? "T" : "N")}");
        foreach (var p in new[] { da, db, dc }) Api.Free(p);
    }

    [Fact]
    public void BetaZeroDoesNotReadC()
    {
        int m = 6, n = 5, k = 4;
        var a = Rand(m * k, 4); var b = Rand(k * n, 5);
        var h = Api.Blas();
        ulong da = Api.From<float>(a), db = Api.From<float>(b), dc = Api.Poisoned<float>(m * n); // NaN everywhere
        Api.Check(Api.GemmEx(h, 0, 0, m, n, k, 2f, da, R32F, m, db, R32F, k, 0f, dc, R32F, m), "cublasGemmEx");
        var (want, bound) = Reference(false, false, m, n, k, 2, a, m, 0, b, k, 0, 0, new float[m * n], m, 0, 1);
        AssertClose(want, bound, Api.Download<float>(dc, m * n), 1e-5, "beta = 0 over a NaN-filled C");
    }

    [Fact]
    public void StridedBatchedUsesEachBatchsStridesIncludingABroadcastB()
    {
        int m = 5, n = 3, k = 7, batch = 3;
        int lda = m + 1, ldb = k, ldc = m + 2;
        long sa = lda * k + 9, sb = 0, sc = ldc * n + 4; // gaps between batches; strideB = 0 shares one B
        var a = Rand((int)(sa * batch), 6); var b = Rand(ldb * n, 7); var c = Rand((int)(sc * batch), 8);
        float alpha = -0.5f, beta = 0.3f;
        var (want, bound) = Reference(false, false, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
        var h = Api.Blas();
        ulong da = Api.From<float>(a), db = Api.From<float>(b), dc = Api.From<float>(c);
        Api.Check(Api.GemmStridedBatchedEx(h, 0, 0, m, n, k, alpha, da, R32F, lda, sa, db, R32F, ldb, sb, beta, dc, R32F, ldc, sc, batch), "cublasGemmStridedBatchedEx");
        AssertClose(want, bound, Api.Download<float>(dc, c.Length), 1e-5, "strided batched");
    }

    [Theory]
    [InlineData(R16BF, R32F)]
    [InlineData(R16BF, R16BF)]
    [InlineData(R16F, R32F)]
    [InlineData(R16F, R16F)]
    public void HalfPrecisionInputsAccumulateInF32(int abType, int cType)
    {
        int m = 9, n = 11, k = 33;
        static ushort Enc(float v, int t) => t == R16F ? BitConverter.HalfToUInt16Bits((Half)v) : Bf16(v);
        static float Dec(ushort v, int t) => t == R16F ? (float)BitConverter.UInt16BitsToHalf(v) : BitConverter.UInt32BitsToSingle((uint)v << 16);
        var a = Rand(k * m, 9).Select(v => Enc(v, abType)).ToArray(); var b = Rand(n * k, 10).Select(v => Enc(v, abType)).ToArray();
        var c = Rand(m * n, 11);
        var (want, bound) = Reference(true, true, m, n, k, 1.5, a.Select(v => Dec(v, abType)).ToArray(), k, 0, b.Select(v => Dec(v, abType)).ToArray(), n, 0,
            0.5, cType == R32F ? c : c.Select(v => Dec(Enc(v, cType), cType)).ToArray(), m, 0, 1);
        var h = Api.Blas();
        ulong da = Api.From<ushort>(a), db = Api.From<ushort>(b);
        ulong dc = cType == R32F ? Api.From<float>(c) : Api.From<ushort>(c.Select(v => Enc(v, cType)).ToArray());
        Api.Check(Api.GemmEx(h, 1, 1, m, n, k, 1.5f, da, abType, k, db, abType, n, 0.5f, dc, cType, m), "cublasGemmEx");
        var got = cType == R32F ? Api.Download<float>(dc, m * n) : Api.Download<ushort>(dc, m * n).Select(v => Dec(v, cType)).ToArray();
        // f32 output: f32 accumulation of exactly representable products; 16-bit output adds one rounding (2^-8 or 2^-11).
        double rel = cType == R32F ? 1e-5 : cType == R16BF ? 1.0 / 256 : 1.0 / 2048;
        for (int i = 0; i < want.Length; i++) bound[i] = Math.Max(bound[i], Math.Abs(want[i]));
        AssertClose(want, bound, got, rel, $"A,B type {abType} → C type {cType}");
    }

    private static ushort Bf16(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        return (ushort)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
    }

    [Fact]
    public void InvalidArgumentsAreRejectedAsCublasDoes()
    {
        var h = Api.Blas();
        ulong p = Api.Alloc(4096);
        Assert.Equal(7, Api.GemmEx(h, 0, 0, 8, 2, 2, 1f, p, R32F, 7, p, R32F, 2, 0f, p, R32F, 8));     // lda < m
        Assert.Equal(7, Api.GemmEx(h, 1, 0, 8, 2, 3, 1f, p, R32F, 2, p, R32F, 3, 0f, p, R32F, 8));     // transposed: lda < k
        Assert.Equal(7, Api.GemmEx(h, 0, 0, 8, 2, 2, 1f, p, R32F, 8, p, R32F, 2, 0f, p, R32F, 4));     // ldc < m
        Assert.Equal(7, Api.GemmEx(h, 0, 0, -1, 2, 2, 1f, p, R32F, 8, p, R32F, 2, 0f, p, R32F, 8));    // negative m
        Assert.Equal(15, Api.GemmEx(h, 0, 0, 2, 2, 2, 1f, p, R32F, 2, p, R16BF, 2, 0f, p, R32F, 2));   // mixed A/B types
        Assert.Equal(7, Api.GemmEx(h, 0, 0, 64, 64, 64, 1f, p, R32F, 64, p, R32F, 64, 0f, p, R32F, 64)); // operands past the allocation
        Api.Free(p);
    }
}
