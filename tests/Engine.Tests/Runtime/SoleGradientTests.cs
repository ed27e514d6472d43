using Engine.Runtime;
using Engine.Runtime.Optim;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Runtime;

/// <summary>A leaf keeps a weight's fresh GEMM gradient without a copy, and still copies any gradient that may be shared.</summary>
public class SoleGradientTests
{
    [Fact]
    public void ALinearWeightKeepsItsGemmGradientAndItIsCorrect()
    {
        var x = Rand.Param(1, 3, 4);
        var w = Rand.Param(2, 5, 4);
        Ops.Sum(Ops.Linear(x, w)).Backward();
        Assert.True(w.Grad!.SoleGradient); // the GEMM's own output, not a copy of it
        // d/dW Σ x·Wᵀ = 1ᵀ·x: every row of dW is the column sums of x.
        var xs = x.ToDoubleArray();
        var expected = new double[20];
        for (int o = 0; o < 5; o++) for (int i = 0; i < 4; i++) for (int r = 0; r < 3; r++) expected[o * 4 + i] += xs[r * 4 + i];
        Close.All(expected, w.Grad.ToDoubleArray(), 1e-14, 1e-14, "dW");
    }

    [Fact]
    public void AGradientHandedToTwoLeavesIsCopiedForEach()
    {
        var a = Rand.Param(3, 2, 3);
        var b = Rand.Param(4, 2, 3);
        var seed = Rand.Param(5, 2, 3).Detach();
        Ops.Add(a, b).Backward(seed); // Add's backward passes the same gradient on to both inputs
        Assert.NotSame(a.Grad!.Storage, b.Grad!.Storage);
        Assert.NotSame(seed.Storage, a.Grad.Storage);
        var before = b.Grad.ToDoubleArray();
        GradClip.ClipGradNorm([a], 1e-3); // scales a.Grad in place
        Assert.Equal(before, b.Grad.ToDoubleArray());
        Assert.Equal(seed.ToDoubleArray(), b.Grad.ToDoubleArray());
    }
}
