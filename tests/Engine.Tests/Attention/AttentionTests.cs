using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Attention;

public class AttentionTests
{
    /// <summary>
    /// softmax(Q·Kᵀ·scale + mask)·V by explicit loops: query head h reads kv head h / (Hq/Hkv); key j is hidden when
    /// mask[b, j] == 0 or (causal and j > i + Tk − Tq); a row with no visible key is all zeros.
    /// </summary>
    private static double[] Reference(double[] q, double[] k, double[] v, long[]? mask, int b, int hq, int hkv, int tq, int tk, int d, bool causal, double scale)
    {
        var o = new double[b * hq * tq * d];
        var w = new double[tk];
        for (int bi = 0; bi < b; bi++)
            for (int h = 0; h < hq; h++)
            {
                int hk = h / (hq / hkv);
                for (int i = 0; i < tq; i++)
                {
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < tk; j++)
                    {
                        bool visible = (mask is null || mask[bi * tk + j] != 0) && (!causal || j <= i + tk - tq);
                        if (!visible) { w[j] = double.NegativeInfinity; continue; }
                        double s = 0;
                        for (int c = 0; c < d; c++) s += q[((bi * hq + h) * tq + i) * d + c] * k[((bi * hkv + hk) * tk + j) * d + c];
                        w[j] = s * scale;
                        max = Math.Max(max, w[j]);
                    }
                    if (double.IsNegativeInfinity(max)) continue; // zeros
                    double sum = 0;
                    for (int j = 0; j < tk; j++) { w[j] = Math.Exp(w[j] - max); sum += w[j]; }
                    for (int j = 0; j < tk; j++)
                        for (int c = 0; c < d; c++)
                            o[((bi * hq + h) * tq + i) * d + c] += w[j] / sum * v[((bi * hkv + hk) * tk + j) * d + c];
                }
            }
        return o;
    }

    private static void CheckAgainstReference(DType dt, int b, int hq, int hkv, int tq, int tk, int d, bool causal, long[]? mask, double? scale, double tol, ulong seed)
    {
        var q = Rand.N(seed, dt, b, hq, tq, d);
        var k = Rand.N(seed + 1, dt, b, hkv, tk, d);
        var v = Rand.N(seed + 2, dt, b, hkv, tk, d);
        var m = mask is null ? null : Tensor.FromArray(mask, b, tk);
        var o = Ops.Attention(q, k, v, causal, m, scale);
        Assert.Equal(new[] { b, hq, tq, d }, o.ShapeArray());
        var expected = Reference(q.ToDoubleArray(), k.ToDoubleArray(), v.ToDoubleArray(), mask, b, hq, hkv, tq, tk, d, causal, scale ?? 1 / Math.Sqrt(d));
        Close.All(expected, o.ToDoubleArray(), tol, tol, $"attention b{b} hq{hq} hkv{hkv} tq{tq} tk{tk} d{d} causal {causal}");
    }

    private static long[] PaddingMask(int b, int tk, params int[] padLeft)
    {
        // Row r hides its first padLeft[r] keys (left padding) and, for odd rows, also the last key.
        var m = new long[b * tk];
        for (int r = 0; r < b; r++)
            for (int j = 0; j < tk; j++) m[r * tk + j] = j >= padLeft[r] && !(r % 2 == 1 && j == tk - 1) ? 1 : 0;
        return m;
    }

    [Theory]
    [InlineData(false, 7, 7)]
    [InlineData(true, 7, 7)]
    [InlineData(true, 3, 9)]   // causal offset: a chunk of queries after 6 cached keys
    [InlineData(true, 1, 12)]  // decoding with a KV cache
    [InlineData(true, 9, 4)]   // Tq > Tk: the first rows see no key at all
    [InlineData(false, 5, 11)]
    public void SmallShapesMatchExplicitSoftmax(bool causal, int tq, int tk)
    {
        CheckAgainstReference(DType.F64, 2, 4, 2, tq, tk, 5, causal, null, null, 1e-12, 10);
        CheckAgainstReference(DType.F64, 2, 4, 2, tq, tk, 5, causal, PaddingMask(2, tk, 2, 1), 0.37, 1e-12, 20);
        CheckAgainstReference(DType.F32, 2, 6, 3, tq, tk, 3, causal, PaddingMask(2, tk, 0, 3), null, 2e-5, 30);
    }

    [Fact]
    public void MultiTileShapesMatchExplicitSoftmax()
    {
        // Sizes that cross several 96-wide tiles with ragged ends, GQA 3:1, left padding across a whole key tile.
        CheckAgainstReference(DType.F32, 1, 3, 1, 200, 200, 19, true, null, null, 3e-5, 40);
        CheckAgainstReference(DType.F32, 2, 2, 2, 100, 250, 16, true, PaddingMask(2, 250, 200, 5), null, 3e-5, 50);
        CheckAgainstReference(DType.F32, 1, 2, 1, 97, 193, 8, false, PaddingMask(1, 193, 100), null, 3e-5, 60);
    }

    [Fact]
    public void KeysBeyondOneForwardChunkMatchExplicitSoftmax()
    {
        // More than 512 keys: the forward's S products stream through the online softmax in several key chunks.
        CheckAgainstReference(DType.F32, 1, 2, 1, 53, 700, 8, true, null, null, 3e-5, 70);
        CheckAgainstReference(DType.F32, 1, 1, 1, 30, 1100, 5, false, PaddingMask(1, 1100, 600), null, 3e-5, 80);
        CheckAgainstReference(DType.F64, 1, 1, 1, 9, 530, 4, true, null, null, 1e-10, 90);
    }

    [Fact]
    public void FullyMaskedRowsAreZeroNotNaNAndGetNoGradient()
    {
        // Batch row 1 is all padding; with causal and Tq > Tk, early queries of row 0 see nothing either.
        var mask = Tensor.FromArray(new byte[] { 1, 1, 1, 0, 0, 0 }, 2, 3);
        var q = Rand.Param(1, 2, 2, 5, 4);
        var k = Rand.Param(2, 2, 1, 3, 4);
        var v = Rand.Param(3, 2, 1, 3, 4);
        var o = Ops.Attention(q, k, v, causal: true, keyMask: mask);
        var ov = o.ToDoubleArray();
        Assert.DoesNotContain(ov, double.IsNaN);
        for (int h = 0; h < 2; h++)
            for (int i = 0; i < 5; i++)
                for (int c = 0; c < 4; c++)
                {
                    double x = ov[((1 * 2 + h) * 5 + i) * 4 + c], y = ov[((0 * 2 + h) * 5 + i) * 4 + c];
                    Assert.Equal(0.0, x);                 // padded batch row
                    if (i < 2) Assert.Equal(0.0, y);      // i + (3 − 5) < 0: no visible key
                    else Assert.NotEqual(0.0, y);
                }
        Ops.Sum(Ops.Mul(o, Rand.N(4, DType.F64, 2, 2, 5, 4))).Backward();
        foreach (var t in new[] { q, k, v }) Assert.DoesNotContain(t.Grad!.ToDoubleArray(), double.IsNaN);
        var gq = q.Grad!.ToDoubleArray();
        for (int i = 0; i < 2 * 5 * 4; i++) Assert.Equal(0.0, gq[2 * 5 * 4 + i]); // batch row 1
    }

    [Fact]
    public void StridedInputsAndI32MaskMatchContiguous()
    {
        // q/k/v as a model makes them: [B, T, H, D] projections viewed as [B, H, T, D].
        var q = Rand.N(5, DType.F32, 2, 9, 4, 8).Transpose(1, 2);
        var k = Rand.N(6, DType.F32, 2, 11, 2, 8).Transpose(1, 2);
        var v = Rand.N(7, DType.F32, 2, 11, 2, 8).Transpose(1, 2);
        var m = PaddingMask(2, 11, 3, 0);
        var viaViews = Ops.Attention(q, k, v, true, Tensor.FromArray(m.Select(x => (int)x).ToArray(), 2, 11));
        var expected = Reference(q.ToDoubleArray(), k.ToDoubleArray(), v.ToDoubleArray(), m, 2, 4, 2, 9, 11, 8, true, 1 / Math.Sqrt(8));
        Close.All(expected, viaViews.ToDoubleArray(), 2e-5, 2e-5);
    }

    [Fact]
    public void GradientsCausalGqaPaddingSquare()
    {
        var mask = Tensor.FromArray(PaddingMask(2, 7, 2, 0), 2, 7);
        GradCheck.Check(xs => Ops.Attention(xs[0], xs[1], xs[2], causal: true, keyMask: mask),
            [Rand.Param(11, 2, 4, 7, 5), Rand.Param(12, 2, 2, 7, 5), Rand.Param(13, 2, 2, 7, 5)], maxPerInput: 48);
    }

    [Fact]
    public void GradientsCausalOffsetAndNonCausal()
    {
        var mask = Tensor.FromArray(PaddingMask(2, 9, 1, 4), 2, 9);
        GradCheck.Check(xs => Ops.Attention(xs[0], xs[1], xs[2], causal: true, keyMask: mask, scale: 0.6),
            [Rand.Param(21, 2, 4, 3, 5), Rand.Param(22, 2, 2, 9, 5), Rand.Param(23, 2, 2, 9, 5)], maxPerInput: 48);
        GradCheck.Check(xs => Ops.Attention(xs[0], xs[1], xs[2], causal: false),
            [Rand.Param(24, 1, 3, 6, 3), Rand.Param(25, 1, 1, 5, 3), Rand.Param(26, 1, 1, 5, 3)], maxPerInput: 48);
    }

    [Fact]
    public void GradientsAcrossSeveralTiles()
    {
        // 100 queries × 105 keys: two query and two key tiles, so the split of dQ over key sets and the tile skipping are exercised.
        var mask = Tensor.FromArray(PaddingMask(1, 105, 98), 1, 105);
        GradCheck.Check(xs => Ops.Attention(xs[0], xs[1], xs[2], causal: true, keyMask: mask),
            [Rand.Param(31, 1, 2, 100, 3), Rand.Param(32, 1, 1, 105, 3), Rand.Param(33, 1, 1, 105, 3)], maxPerInput: 24);
    }

    [Fact]
    public void GradientsBeyondOneChunk()
    {
        // 530 keys: the saved log-sum-exp combines two forward key chunks, and backward relies on it.
        GradCheck.Check(xs => Ops.Attention(xs[0], xs[1], xs[2], causal: true),
            [Rand.Param(34, 1, 1, 4, 3), Rand.Param(35, 1, 1, 530, 3), Rand.Param(36, 1, 1, 530, 3)], maxPerInput: 24);
        // 530 queries: backward meets each key tile's queries in two chunks.
        GradCheck.Check(xs => Ops.Attention(xs[0], xs[1], xs[2], causal: true),
            [Rand.Param(37, 1, 1, 530, 3), Rand.Param(38, 1, 1, 530, 3), Rand.Param(39, 1, 1, 530, 3)], maxPerInput: 24);
    }

    [Fact]
    public void BackwardIsDeterministicAcrossThreadCounts()
    {
        double[][] Run(int threads)
        {
            int saved = CpuThreads.Count;
            CpuThreads.Count = threads;
            try
            {
                var q = Tensor.RandN([1, 4, 200, 16], 41); q.RequiresGrad = true;
                var k = Tensor.RandN([1, 2, 200, 16], 42); k.RequiresGrad = true;
                var v = Tensor.RandN([1, 2, 200, 16], 43); v.RequiresGrad = true;
                Ops.Sum(Ops.Mul(Ops.Attention(q, k, v, true), Tensor.RandN([1, 4, 200, 16], 44))).Backward();
                return [q.Grad!.ToDoubleArray(), k.Grad!.ToDoubleArray(), v.Grad!.ToDoubleArray()];
            }
            finally { CpuThreads.Count = saved; }
        }
        var one = Run(1); var four = Run(4);
        for (int i = 0; i < 3; i++) Assert.Equal(one[i], four[i]);
    }

    [Theory]
    [InlineData(1, 300, 8, 2)]  // a batch-1 decode step: little work, its tasks run on the calling thread
    [InlineData(100, 100, 4, 2)] // prefill-sized: 5M multiply-adds, tasks spread over the threads
    public void ForwardIsTheSameOnAnyThreadCount(int tq, int tk, int hq, int hkv)
    {
        var q = Tensor.RandN([1, hq, tq, 64], 51); var k = Tensor.RandN([1, hkv, tk, 64], 52); var v = Tensor.RandN([1, hkv, tk, 64], 53);
        float[] Run(int threads)
        {
            using var pin = CpuThreads.Pin(threads);
            using var noGrad = Autograd.NoGrad();
            return Ops.Attention(q, k, v, causal: true).ToFloatArray();
        }
        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(3));
    }

    [Fact]
    public void BadShapesAreRejectedWithTheShapesInTheMessage()
    {
        var q = Rand.N(1, DType.F32, 1, 3, 4, 8);
        var k = Rand.N(2, DType.F32, 1, 2, 4, 8);
        var ex = Assert.Throws<ArgumentException>(() => Ops.Attention(q, k, k, true));
        Assert.Contains("[1, 3, 4, 8]", ex.Message);
        var bad = Tensor.FromArray(new float[] { 1, 1, 1, 1 }, 1, 4);
        Assert.Throws<ArgumentException>(() => Ops.Attention(q, Rand.N(3, DType.F32, 1, 1, 4, 8), Rand.N(4, DType.F32, 1, 1, 4, 8), true, bad));
    }
}
