using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Embedding;

public class EmbeddingTests
{
    [Fact]
    public void LooksUpRowsForI64AndI32Ids()
    {
        var w = Rand.N(1, DType.F32, 11, 7);
        var wv = w.ToFloatArray();
        var ids = new long[] { 3, 0, 10, 3, 7, 1 };
        foreach (var idT in new[] { Tensor.FromArray(ids, 2, 3), Tensor.FromArray(ids.Select(i => (int)i).ToArray(), 2, 3) })
        {
            var y = Ops.Embedding(w, idT);
            Assert.Equal(new[] { 2, 3, 7 }, y.ShapeArray());
            var yv = y.ToFloatArray();
            for (int p = 0; p < ids.Length; p++)
                for (int d = 0; d < 7; d++) Assert.Equal(wv[ids[p] * 7 + d], yv[p * 7 + d]);
        }
    }

    [Fact]
    public void Bf16WeightGivesF32Rows()
    {
        var w32 = Rand.N(2, DType.F32, 9, 5);
        var wb = w32.To(DType.BF16);
        var bits = wb.ToArray<ushort>();
        var ids = Tensor.FromArray(new long[] { 8, 2, 2 }, 3);
        var y = Ops.Embedding(wb, ids);
        Assert.Equal(DType.F32, y.DType);
        var yv = y.ToFloatArray();
        var rows = new[] { 8, 2, 2 };
        for (int p = 0; p < 3; p++)
            for (int d = 0; d < 5; d++)
                Assert.Equal(BitConverter.Int32BitsToSingle(bits[rows[p] * 5 + d] << 16), yv[p * 5 + d]);
    }

    [Fact]
    public void OutOfRangeIdIsAClearError()
    {
        var w = Rand.N(1, DType.F32, 11, 4);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Embedding(w, Tensor.FromArray(new long[] { 1, 11 }, 2)));
        Assert.Contains("11", ex.Message);
        Assert.Contains("[0, 11)", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Embedding(w, Tensor.FromArray(new long[] { -1 }, 1)));
    }

    [Fact]
    public void GradientWithRepeatedIds()
    {
        var w = Rand.Param(3, 11, 7);
        var ids = Rand.Ids(4, 11, 3, 5); // 15 draws from 11 ids: repeats are certain
        GradCheck.Check(xs => Ops.Embedding(xs[0], ids), [w]);
    }

    [Fact]
    public void BackwardMatchesPlainScatterAddAndIsDeterministic()
    {
        const int vocab = 53, dim = 67, n = 3001;
        var ids = Rand.Ids(5, vocab, n);
        var gy = Rand.N(6, DType.F32, n, dim);
        var idv = ids.ToArray<long>(); var gv = gy.ToFloatArray();
        var expected = new double[vocab * dim];
        for (int p = 0; p < n; p++)
            for (int d = 0; d < dim; d++) expected[idv[p] * dim + d] += gv[p * dim + d];

        float[] Run(int threads)
        {
            int saved = CpuThreads.Count;
            try
            {
                CpuThreads.Count = threads;
                var w = Rand.N(7, DType.F32, vocab, dim);
                w.RequiresGrad = true;
                Ops.Embedding(w, ids).Backward(gy);
                return w.Grad!.ToFloatArray();
            }
            finally { CpuThreads.Count = saved; }
        }

        var one = Run(1);
        Close.All(expected, one.Select(v => (double)v).ToArray(), 1e-4, 1e-5, "dWeight");
        Assert.Equal(one, Run(4)); // bitwise: the summation order does not depend on threads
    }
}
