using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Runtime;

/// <summary>
/// <see cref="Checkpoint"/>: the region's intermediates are not kept, the region is rerun in the backward, gradients
/// reach both its inputs and the leaf parameters it reads, and its random draws are replayed.
/// </summary>
public class CheckpointTests
{
    // A region with an input x, a parameter w read from outside, and an intermediate that a plain graph would keep.
    private static Tensor Region(Tensor x, Tensor w, Action<Tensor>? seeIntermediate = null)
    {
        var h = Ops.Mul(x, w);
        seeIntermediate?.Invoke(h);
        return Ops.Mul(h, h);
    }

    private static (Tensor x, Tensor w) Leaves(ulong seed)
    {
        var x = Tensor.RandN([3, 5], seed, 1.0, DType.F64); x.RequiresGrad = true;
        var w = Tensor.RandN([3, 5], seed + 1, 1.0, DType.F64); w.RequiresGrad = true;
        return (x, w);
    }

    [Fact]
    public void GradientsOfInputsAndParametersEqualThePlainGraphs()
    {
        var (x1, w1) = Leaves(7);
        var (x2, w2) = Leaves(7);
        var up = Tensor.RandN([3, 5], 9, 1.0, DType.F64);
        Ops.Sum(Ops.Mul(Ops.Tanh(Region(Ops.Scale(x1, 1.5), w1)), up)).Backward();
        Ops.Sum(Ops.Mul(Ops.Tanh(Checkpoint.Run(i => Region(i[0], w2), [Ops.Scale(x2, 1.5)], [w2])), up)).Backward();
        // The same ops on the same values in the same order: bit for bit.
        Assert.Equal(x1.Grad!.ToDoubleArray(), x2.Grad!.ToDoubleArray());
        Assert.Equal(w1.Grad!.ToDoubleArray(), w2.Grad!.ToDoubleArray());
        Assert.Contains(w2.Grad!.ToDoubleArray(), g => Math.Abs(g) > 1e-3);
    }

    [Fact]
    public void MatchesFiniteDifferencesInF64()
    {
        var (x, w) = Leaves(11);
        GradCheck.Check(i => Ops.Tanh(Checkpoint.Run(r => Region(r[0], i[1]), [Ops.Scale(i[0], 0.7)], [i[1]])), [x, w]);
    }

    [Fact]
    public void TheRegionsIntermediatesAreNotKeptAndTheRegionRunsAgainInTheBackward()
    {
        var (x, w) = Leaves(3);
        int runs = 0;
        WeakReference<Tensor>? seen = null;
        Tensor y = Make(x, w, () => runs++, r => seen ??= new WeakReference<Tensor>(r));
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        Assert.Equal(1, runs);
        Assert.False(seen!.TryGetTarget(out _), "the checkpointed region's intermediate is still referenced after its forward");
        Ops.Sum(y).Backward();
        Assert.Equal(2, runs);
        Assert.NotNull(x.Grad);

        // The control: the same region recorded plainly keeps its intermediate alive until the backward.
        WeakReference<Tensor>? kept = null;
        var plain = PlainMake(x, w, h => kept ??= new WeakReference<Tensor>(h));
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        Assert.True(kept!.TryGetTarget(out _));
        GC.KeepAlive(plain);
    }

    // Separate frames so no local of the test method holds the intermediate.
    private static Tensor Make(Tensor x, Tensor w, Action onRun, Action<Tensor> see) =>
        Checkpoint.Run(i => { onRun(); return Region(i[0], w, see); }, [x], [w]);

    private static Tensor PlainMake(Tensor x, Tensor w, Action<Tensor> see) => Region(x, w, see);

    [Fact]
    public void ParametersAloneMakeItRecordAndNoGradMakesItPlain()
    {
        var x = Tensor.RandN([4], 5, 1.0, DType.F64);          // needs no gradient (a frozen embedding's output)
        var w = Tensor.RandN([4], 6, 1.0, DType.F64); w.RequiresGrad = true;
        var y = Checkpoint.Run(i => Ops.Mul(i[0], w), [x], [w]);
        Assert.True(y.RequiresGrad);
        Ops.Sum(y).Backward();
        Assert.Equal(x.ToDoubleArray(), w.Grad!.ToDoubleArray());

        using (Autograd.NoGrad())
        {
            var z = Checkpoint.Run(i => Ops.Mul(i[0], w), [x], [w]);
            Assert.False(z.RequiresGrad);
            Assert.Null(z.GradFn);
        }
    }

    [Fact]
    public void ComputedParameterIsRefused()
    {
        var w = Tensor.RandN([4], 6, 1.0, DType.F64); w.RequiresGrad = true;
        var computed = Ops.Scale(w, 2);
        var e = Assert.Throws<ArgumentException>(() => Checkpoint.Run(i => Ops.Mul(i[0], computed), [Tensor.RandN([4], 1, 1.0, DType.F64)], [computed]));
        Assert.Contains("leaf", e.Message);
    }

    [Fact]
    public void DropoutInsideIsReplayedAndTheGeneratorEndsWhereTheForwardLeftIt()
    {
        var x1 = Tensor.RandN([64], 2, 1.0, DType.F64); x1.RequiresGrad = true;
        var x2 = x1.Detach().Clone(); x2.RequiresGrad = true;
        var g1 = new Generator(77); var g2 = new Generator(77);
        Ops.Sum(Ops.Mul(Ops.Dropout(x1, 0.5, g1), x1)).Backward();
        var y = Checkpoint.Run(i => Ops.Mul(Ops.Dropout(i[0], 0.5, g2), i[0]), [x2], [], [g2]);
        ulong afterForward = g2.Offset;
        Ops.Sum(y).Backward();
        Assert.Equal(afterForward, g2.Offset);
        Assert.Equal(g1.Offset, g2.Offset);
        Assert.Equal(x1.Grad!.ToDoubleArray(), x2.Grad!.ToDoubleArray());

        // Without the generator passed, the rerun draws another mask and the gradient is wrong: the replay is what fixes it.
        var x3 = x1.Detach().Clone(); x3.RequiresGrad = true;
        var g3 = new Generator(77);
        Ops.Sum(Checkpoint.Run(i => Ops.Mul(Ops.Dropout(i[0], 0.5, g3), i[0]), [x3], [])).Backward();
        Assert.NotEqual(x1.Grad!.ToDoubleArray(), x3.Grad!.ToDoubleArray());
    }

    // A row-wise region with a parameter: row i of tanh(x·Wᵀ) + the row's index (the firstRow argument is used).
    private static Tensor RowRegion(Tensor block, int first, Tensor w)
    {
        var idx = Tensor.FromArray(Enumerable.Range(first, block.Size(0)).Select(i => (double)i).ToArray(), block.Size(0), 1);
        return Ops.Add(Ops.Tanh(Ops.Linear(block, w)), idx);
    }

    [Theory]
    [InlineData(2)]   // 7 rows: blocks 2, 2, 2, 1
    [InlineData(7)]
    public void RowBlocksGiveThePlainValuesAndGradients(int blockRows)
    {
        var x1 = Tensor.RandN([7, 5], 21, 1.0, DType.F64); x1.RequiresGrad = true;
        var w1 = Tensor.RandN([3, 5], 22, 0.5, DType.F64); w1.RequiresGrad = true;
        var x2 = x1.Detach().Clone(); x2.RequiresGrad = true;
        var w2 = w1.Detach().Clone(); w2.RequiresGrad = true;
        var up = Tensor.RandN([7, 3], 23, 1.0, DType.F64);
        var plain = RowRegion(Ops.Scale(x1, 2), 0, w1);
        var rows = Checkpoint.RunByRows((b, first) => RowRegion(b, first, w2), Ops.Scale(x2, 2), blockRows, [w2]);
        Assert.Equal(plain.ToDoubleArray(), rows.ToDoubleArray());
        Ops.Sum(Ops.Mul(plain, up)).Backward();
        Ops.Sum(Ops.Mul(rows, up)).Backward();
        // x's gradient is row-wise: bit for bit. W's is summed block by block: to rounding (one block: bit for bit).
        Assert.Equal(x1.Grad!.ToDoubleArray(), x2.Grad!.ToDoubleArray());
        var (ga, gb) = (w1.Grad!.ToDoubleArray(), w2.Grad!.ToDoubleArray());
        for (int i = 0; i < ga.Length; i++) Assert.Equal(ga[i], gb[i], 12);
    }

    [Fact]
    public void RowBlocksMatchFiniteDifferencesInF64()
    {
        var x = Tensor.RandN([7, 5], 31, 1.0, DType.F64); x.RequiresGrad = true;
        var w = Tensor.RandN([3, 5], 32, 0.5, DType.F64); w.RequiresGrad = true;
        GradCheck.Check(i => Checkpoint.RunByRows((b, first) => RowRegion(b, first, i[1]), Ops.Scale(i[0], 1.3), 3, [i[1]]), [x, w]);
    }

    [Fact]
    public void RowBlocksRefuseARegionThatDropsRows()
    {
        var x = Tensor.RandN([6, 2], 1, 1.0, DType.F64);
        var e = Assert.Throws<InvalidOperationException>(() => Checkpoint.RunByRows((b, _) => Ops.Sum(b, 0, keepDim: true), x, 4, []));
        Assert.Contains("rows", e.Message);
    }
}
