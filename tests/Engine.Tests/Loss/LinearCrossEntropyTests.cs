using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Loss;

/// <summary>
/// <see cref="Ops.LinearCrossEntropy"/> (LM head + cross-entropy over row chunks) against the unfused
/// <c>CrossEntropy(Linear(h, W))</c>: values and both gradients, on the uniform-row-weight path (the gradients made in
/// the forward, scaled) and on the per-row-weight path (dW rebuilt from recomputed chunks); finite differences in f64
/// for both; bitwise the same for 1, 2 and 3 threads.
/// </summary>
public class LinearCrossEntropyTests
{
    private const int Rows = 23, Hidden = 12, Vocab = 70;

    // Ignored rows at a chunk edge and in the ragged last chunk.
    private static Tensor Targets() => Tensor.FromArray(Enumerable.Range(0, Rows).Select(i => i is 4 or 19 ? -100L : (i * 37 + 5) % Vocab).ToArray(), Rows);

    private static (Tensor h, Tensor w) Inputs(DType dtype)
    {
        var h = Rand.N(11, dtype, Rows, Hidden); h.RequiresGrad = true;
        var w = Rand.N(12, dtype, Vocab, Hidden); w.RequiresGrad = true;
        return (h, w);
    }

    [Theory]
    [InlineData(5, false)]   // chunks 5,5,5,5,3; mean: one row weight everywhere
    [InlineData(5, true)]    // per-row weights: dW is recomputed chunk by chunk
    [InlineData(23, false)]  // one chunk
    [InlineData(64, true)]   // a chunk larger than the rows
    public void MatchesTheUnfusedLossAndGradients(int chunk, bool perRowWeights)
    {
        var (h0, w0) = Inputs(DType.F32);
        var (h1, w1) = Inputs(DType.F32);
        var rowWeights = Rand.N(13, DType.F32, Rows);
        Tensor Reduce(Tensor perRow) => perRowWeights ? Ops.Sum(Ops.Mul(perRow, rowWeights)) : Ops.Mean(perRow);

        var plain = Ops.CrossEntropy(Ops.Linear(h0, w0), Targets(), reduction: Reduction.None);
        var fused = Ops.LinearCrossEntropy(h1, w1, Targets(), chunk);
        var (ep, ef) = (plain.ToFloatArray(), fused.ToFloatArray());
        for (int i = 0; i < Rows; i++) Assert.True(Math.Abs(ep[i] - ef[i]) <= 1e-6 * (1 + Math.Abs(ep[i])), $"loss[{i}]: {ep[i]} vs {ef[i]}");
        Assert.Equal(0f, ef[4]);
        Assert.Equal(0f, ef[19]);

        Reduce(plain).Backward();
        Reduce(fused).Backward();
        Close.All(h0.Grad!.ToDoubleArray(), h1.Grad!.ToDoubleArray(), 1e-6, 1e-5, "dHidden");
        Close.All(w0.Grad!.ToDoubleArray(), w1.Grad!.ToDoubleArray(), 1e-6, 1e-5, "dWeight");
        Assert.All(h1.Grad!.ToFloatArray().Skip(4 * Hidden).Take(Hidden), v => Assert.Equal(0f, v)); // an ignored row gets nothing
        Assert.Contains(h1.Grad!.ToFloatArray(), v => v != 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MatchesFiniteDifferencesInF64(bool perRowWeights)
    {
        var (h, w) = Inputs(DType.F64);
        var targets = Targets();
        // GradCheck weights the op's output elementwise (per-row weights, the recompute path); the mean before it makes
        // the row weights one value (the scaled path).
        GradCheck.Check(x => perRowWeights
                ? Ops.LinearCrossEntropy(x[0], x[1], targets, 4)
                : Ops.Mean(Ops.LinearCrossEntropy(x[0], x[1], targets, 4)).Reshape(1),
            [h, w], maxPerInput: 40, rtol: 1e-5, atol: 1e-8);
    }

    [Fact]
    public void ASecondBackwardOfARetainedGraphRecomputes()
    {
        var (h, w) = Inputs(DType.F32);
        var loss = Ops.Mean(Ops.LinearCrossEntropy(h, w, Targets(), 6));
        loss.Backward(retainGraph: true);
        var (gh, gw) = (h.Grad!.ToDoubleArray(), w.Grad!.ToDoubleArray());
        h.ZeroGrad(); w.ZeroGrad();
        loss.Backward();
        Close.All(gh, h.Grad!.ToDoubleArray(), 1e-6, 1e-5, "dHidden");
        Close.All(gw, w.Grad!.ToDoubleArray(), 1e-6, 1e-5, "dWeight");
    }

    [Fact]
    public void AFrozenWeightGetsNoGradientAndTheHiddenStatesStillDo()
    {
        var (h0, w0) = Inputs(DType.F32);
        var (h1, w1) = Inputs(DType.F32);
        w0.RequiresGrad = false; w1.RequiresGrad = false;
        Ops.Mean(Ops.CrossEntropy(Ops.Linear(h0, w0), Targets(), reduction: Reduction.None)).Backward();
        Ops.Mean(Ops.LinearCrossEntropy(h1, w1, Targets(), 5)).Backward();
        Assert.Null(w1.Grad);
        Close.All(h0.Grad!.ToDoubleArray(), h1.Grad!.ToDoubleArray(), 1e-6, 1e-5, "dHidden");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ThreadCountsGiveTheSameBits(bool perRowWeights)
    {
        (float[] loss, float[] gh, float[] gw) Run(int threads)
        {
            int saved = CpuThreads.Count;
            try
            {
                CpuThreads.Count = threads;
                var h = Rand.N(21, DType.F32, 300, 64); h.RequiresGrad = true;
                var w = Rand.N(22, DType.F32, 1000, 64); w.RequiresGrad = true;
                var t = Tensor.FromArray(Enumerable.Range(0, 300).Select(i => (long)(i * 7919 % 1000)).ToArray(), 300);
                var y = Ops.LinearCrossEntropy(h, w, t, 128);
                (perRowWeights ? Ops.Sum(Ops.Mul(y, Rand.N(23, DType.F32, 300))) : Ops.Mean(y)).Backward();
                return (y.ToFloatArray(), h.Grad!.ToFloatArray(), w.Grad!.ToFloatArray());
            }
            finally { CpuThreads.Count = saved; }
        }

        var one = Run(1);
        foreach (var threads in new[] { 2, 3 })
        {
            var other = Run(threads);
            Assert.Equal(one.loss, other.loss);
            Assert.Equal(one.gh, other.gh);
            Assert.Equal(one.gw, other.gw);
        }
    }

    [Fact]
    public void BadInputsAreClearErrors()
    {
        var (h, w) = Inputs(DType.F32);
        Assert.Contains("weight", Assert.Throws<ArgumentException>(() => Ops.LinearCrossEntropy(h, Rand.N(1, DType.F32, Vocab, 5), Targets(), 4)).Message);
        Assert.Contains("targets", Assert.Throws<ArgumentException>(() => Ops.LinearCrossEntropy(h, w, Tensor.FromArray(new long[] { 1, 2 }, 2), 4)).Message);
        Assert.Contains("hidden", Assert.Throws<ArgumentException>(() => Ops.LinearCrossEntropy(Rand.N(1, DType.F32, 2, Rows, Hidden), w, Targets(), 4)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.LinearCrossEntropy(h, w, Targets(), 0));
        var bad = Tensor.FromArray(Enumerable.Range(0, Rows).Select(i => i == 7 ? (long)Vocab : 1L).ToArray(), Rows);
        Assert.Contains("7", Assert.ThrowsAny<Exception>(() => Ops.LinearCrossEntropy(h, w, bad, 4)).Message);
    }
}
