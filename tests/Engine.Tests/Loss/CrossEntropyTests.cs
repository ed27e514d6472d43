using Engine.Diagnostics.Cases.Loss;
using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Loss;

public class CrossEntropyTests
{
    private const int Ignore = -100;

    /// <summary>Targets for [3, 5] positions over V: a few ignored, and batch row 1 entirely ignored.</summary>
    private static long[] TargetsWithIgnored(int vocab)
    {
        var t = Rand.Ids(31, vocab, 15).ToArray<long>();
        t[2] = Ignore; t[13] = Ignore;
        for (int j = 5; j < 10; j++) t[j] = Ignore;
        return t;
    }

    private static double[] ReferenceNll(double[] x, long[] t, int vocab)
    {
        var r = new double[t.Length];
        for (int i = 0; i < t.Length; i++)
            r[i] = t[i] == Ignore ? 0 : LossReference.LogSumExp(x, i, vocab) - x[i * vocab + t[i]];
        return r;
    }

    [Fact]
    public void ReductionsMatchPlainLoops()
    {
        const int vocab = 101;
        var logits = Tensor.RandN([3, 5, vocab], 1, 3.0, DType.F64);
        var t = TargetsWithIgnored(vocab);
        var targets = Tensor.FromArray(t, 3, 5);
        var nll = ReferenceNll(logits.ToDoubleArray(), t, vocab);
        int counted = t.Count(v => v != Ignore);

        var none = Ops.CrossEntropy(logits, targets, reduction: Reduction.None);
        Assert.Equal(new[] { 3, 5 }, none.ShapeArray());
        Close.All(nll, none.ToDoubleArray(), 1e-13, 1e-13, "none");
        Assert.Equal(nll.Sum(), Ops.CrossEntropy(logits, targets, reduction: Reduction.Sum).Item(), 1e-12);
        var mean = Ops.CrossEntropy(logits, targets);
        Assert.Equal(0, mean.Rank);
        Assert.Equal(nll.Sum() / counted, mean.Item(), 1e-13);

        // F32 logits agree with the f64 reference.
        Assert.Equal(nll.Sum() / counted, Ops.CrossEntropy(logits.To(DType.F32), targets).Item(), 1e-5);
    }

    [Fact]
    public void CustomIgnoreIndexAndI32Targets()
    {
        const int vocab = 37;
        var logits = Rand.N(2, DType.F64, 4, vocab);
        var t = new long[] { 5, 0, 36, 5 };
        var x = logits.ToDoubleArray();
        // ignoreIndex = 5 drops rows 0 and 3.
        double expected = (LossReference.LogSumExp(x, 1, vocab) - x[vocab] + LossReference.LogSumExp(x, 2, vocab) - x[2 * vocab + 36]) / 2;
        Assert.Equal(expected, Ops.CrossEntropy(logits, Tensor.FromArray(t.Select(v => (int)v).ToArray(), 4), ignoreIndex: 5).Item(), 1e-13);
    }

    [Fact]
    public void AllIgnoredMeanIsZeroWithZeroGradient()
    {
        var logits = Rand.Param(3, 2, 3, 37);
        var targets = Tensor.Full([2, 3], Ignore, DType.I64);
        var loss = Ops.CrossEntropy(logits, targets);
        Assert.Equal(0.0, loss.Item());
        loss.Backward();
        Assert.All(logits.Grad!.ToDoubleArray(), g => Assert.Equal(0.0, g));
    }

    [Fact]
    public void BackwardIsSoftmaxMinusOneHotOverCount()
    {
        const int vocab = 37;
        var logits = Rand.Param(4, 3, 5, vocab);
        var t = TargetsWithIgnored(vocab);
        Ops.CrossEntropy(logits, Tensor.FromArray(t, 3, 5)).Backward();
        var expected = MeanLossGradient(logits.ToDoubleArray(), t, vocab);
        Close.All(expected, logits.Grad!.ToDoubleArray(), 1e-15, 1e-12, "dLogits");
    }

    /// <summary>
    /// A vocabulary of several scratch blocks with a ragged last one (the backward works a block of each row at a time):
    /// every element of every row must match the f64 reference, in f64 and in f32.
    /// </summary>
    [Theory]
    [InlineData(DType.F64, 1e-12)]
    [InlineData(DType.F32, 2e-6)]
    public void BackwardOverAVocabularyOfSeveralBlocksIsSoftmaxMinusOneHot(DType dtype, double tol)
    {
        const int vocab = 2 * 1024 + 517;
        var x64 = Rand.Param(8, 3, 5, vocab);
        var logits = x64.Detach().To(dtype);
        logits.RequiresGrad = true;
        var t = TargetsWithIgnored(vocab);
        t[0] = vocab - 1; t[1] = 1024; // targets in the ragged last block and on a block boundary
        Ops.CrossEntropy(logits, Tensor.FromArray(t, 3, 5)).Backward();
        int counted = t.Count(v => v != Ignore);
        var expected = MeanLossGradient(logits.ToDoubleArray(), t, vocab);
        Close.All(expected, logits.Grad!.ToDoubleArray(), tol / counted, 10 * tol, "dLogits");
    }

    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.None)]
    public void GradCheckWithIgnoredTargets(Reduction reduction)
    {
        const int vocab = 37;
        var logits = Rand.Param(5, 3, 5, vocab);
        var targets = Tensor.FromArray(TargetsWithIgnored(vocab), 3, 5);
        GradCheck.Check(xs => Ops.CrossEntropy(xs[0], targets, reduction: reduction), [logits], maxPerInput: 96);
    }

    [Fact]
    public void LargeLogitsDoNotOverflowInF32()
    {
        var logits = Tensor.FromArray(new float[] { 1000f, 0f, -1000f, 990f }, 1, 4);
        var loss = Ops.CrossEntropy(logits, Tensor.FromArray(new long[] { 3 }, 1)).Item();
        // lse ≈ 1000 + log(1 + e^−10), so loss ≈ 10 + log(1 + e^−10)
        Assert.Equal(10 + Math.Log(1 + Math.Exp(-10)), loss, 1e-3);
    }

    [Fact]
    public void ParallelRowsMatchTheReference()
    {
        // Enough rows and vocabulary to run on several threads.
        const int rows = 129, vocab = 1001;
        var logits = Tensor.RandN([rows, vocab], 8, 2.0, DType.F32);
        var t = Rand.Ids(9, vocab, rows).ToArray<long>();
        var expected = ReferenceNll(logits.ToDoubleArray(), t, vocab);
        Close.All(expected, Ops.CrossEntropy(logits, Tensor.FromArray(t, rows), reduction: Reduction.None).ToDoubleArray(), 1e-5, 1e-5);
    }

    [Fact]
    public void BadTargetsAreClearErrors()
    {
        var logits = Rand.N(1, DType.F32, 2, 7);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.CrossEntropy(logits, Tensor.FromArray(new long[] { 1, 7 }, 2)));
        Assert.Contains("target 7 at row 1", ex.Message);
        Assert.Throws<ArgumentException>(() => Ops.CrossEntropy(logits, Tensor.FromArray(new long[] { 1, 2, 3 }, 3)));
    }

    /// <summary>f64 reference of d(mean CE)/d(logits): (softmax − one-hot) ÷ counted tokens on counted rows, 0 on ignored ones.</summary>
    private static double[] MeanLossGradient(double[] x, long[] t, int vocab)
    {
        int counted = t.Count(v => v != Ignore);
        var expected = new double[x.Length];
        for (int i = 0; i < t.Length; i++)
        {
            if (t[i] == Ignore) continue;
            var ls = LossReference.LogSoftmaxRow(x, i, vocab);
            for (int v = 0; v < vocab; v++) expected[i * vocab + v] = (Math.Exp(ls[v]) - (v == t[i] ? 1 : 0)) / counted;
        }
        return expected;
    }
}
