using Engine.Runtime;
using Engine.Runtime.Cpu;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Runtime;

public unsafe class MatMulTests
{
    [Theory]
    [InlineData(false, false, 1, 1, 1)]
    [InlineData(false, false, 17, 33, 9)]
    [InlineData(true, false, 31, 5, 65)]
    [InlineData(false, true, 7, 129, 18)]
    [InlineData(true, true, 67, 35, 41)]
    [InlineData(false, false, 130, 97, 300)]
    public void SgemmMatchesReference(bool ta, bool tb, int m, int n, int k)
    {
        var a = Rand.N(1, DType.F32, ta ? k : m, ta ? m : k);
        var b = Rand.N(2, DType.F32, tb ? n : k, tb ? k : n);
        var c = Rand.N(3, DType.F32, m, n);
        var cRef = c.Clone();
        Gemm.Sgemm(ta, tb, m, n, k, 0.5f, a.Ptr<float>(), a.Size(1), b.Ptr<float>(), b.Size(1), 2f, c.Ptr<float>(), n);
        GemmReference.Gemm(ta, tb, m, n, k, 0.5f, a.Ptr<float>(), a.Size(1), b.Ptr<float>(), b.Size(1), 2f, cRef.Ptr<float>(), n);
        Close.All(cRef.ToDoubleArray(), c.ToDoubleArray(), 1e-4, 1e-4);
    }

    [Fact]
    public void BetaZeroIgnoresGarbageInC()
    {
        var a = Rand.N(1, DType.F32, 5, 6);
        var b = Rand.N(2, DType.F32, 6, 7);
        var c = Tensor.Full([5, 7], double.NaN);
        Gemm.Sgemm(false, false, 5, 7, 6, 1f, a.Ptr<float>(), 6, b.Ptr<float>(), 7, 0f, c.Ptr<float>(), 7);
        Assert.DoesNotContain(c.ToArray<float>(), float.IsNaN);
    }

    [Fact]
    public void BatchedMatMulAndTransposedViews()
    {
        var a = Rand.N(4, DType.F64, 3, 5, 7);
        var b = Rand.N(5, DType.F64, 3, 9, 7);
        var y = Ops.MatMul(a, b.Transpose(1, 2));
        var av = a.ToDoubleArray(); var bv = b.ToDoubleArray(); var yv = y.ToDoubleArray();
        for (int z = 0; z < 3; z++) for (int i = 0; i < 5; i++) for (int j = 0; j < 9; j++)
        {
            double s = 0;
            for (int p = 0; p < 7; p++) s += av[(z * 5 + i) * 7 + p] * bv[(z * 9 + j) * 7 + p];
            Assert.Equal(s, yv[(z * 5 + i) * 9 + j], 10);
        }
    }

    [Fact]
    public void MatMulGradients()
    {
        var a = Rand.Param(1, 2, 5, 3);
        var b = Rand.Param(2, 2, 3, 4);
        var w = Rand.Param(3, 3, 4);
        GradCheck.Check(xs => Ops.MatMul(xs[0], xs[1]), [a, b]);
        GradCheck.Check(xs => Ops.MatMul(xs[0], xs[1]), [a, w]);
        var at = Rand.Param(4, 3, 5);
        var bt = Rand.Param(5, 4, 3);
        GradCheck.Check(xs => Ops.MatMul(xs[0].Transpose(0, 1), xs[1].Transpose(0, 1)), [at, bt]);
    }

    [Fact]
    public void LinearMatchesPlainLoopAndHasGradients()
    {
        var x = Rand.Param(6, 2, 3, 5);
        var w = Rand.Param(7, 4, 5);
        var bias = Rand.Param(8, 4);
        var y = Ops.Linear(x, w, bias).ToDoubleArray();
        var xv = x.ToDoubleArray(); var wv = w.ToDoubleArray(); var bv = bias.ToDoubleArray();
        for (int r = 0; r < 6; r++) for (int o = 0; o < 4; o++)
            Assert.Equal(bv[o] + Enumerable.Range(0, 5).Sum(i => xv[r * 5 + i] * wv[o * 5 + i]), y[r * 4 + o], 10);
        GradCheck.Check(xs => Ops.Linear(xs[0], xs[1], xs[2]), [x, w, bias]);
    }

    [Fact]
    public void Bf16WeightsTimesF32Activations()
    {
        var x = Rand.N(9, DType.F32, 3, 4, 19);
        var w = Rand.N(10, DType.F32, 11, 19);
        var wb = w.To(DType.BF16);
        var y = Ops.Linear(x, wb).ToDoubleArray();
        var yRef = Ops.Linear(x, wb.To(DType.F32)).ToDoubleArray();
        Close.All(yRef, y, 1e-5, 1e-5);
    }
}
