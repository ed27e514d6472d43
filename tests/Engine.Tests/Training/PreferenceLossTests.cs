using Engine.Methods.Training.Preference;
using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Training;

public class PreferenceLossTests
{
    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Fact]
    public void DpoLossEqualsThePaperFormulaOnFixedLogProbs()
    {
        double[] pc = [-12.5, -30.25, -7.0], pr = [-14.0, -29.0, -9.5], rc = [-13.0, -31.0, -7.25], rr = [-13.5, -28.0, -8.0];
        double beta = 0.1;
        var r = PreferenceLosses.Dpo(Tensor.FromArray(pc), Tensor.FromArray(pr), Tensor.FromArray(rc), Tensor.FromArray(rr), beta);
        var losses = r.Losses.ToDoubleArray();
        for (int i = 0; i < 3; i++)
        {
            // −log σ(β[(π_c − ref_c) − (π_r − ref_r)]), written out.
            double h = beta * ((pc[i] - rc[i]) - (pr[i] - rr[i]));
            Assert.Equal(-Math.Log(Sigmoid(h)), losses[i], 5);
            Assert.Equal(beta * (pc[i] - rc[i]), r.ChosenRewards.ToDoubleArray()[i], 5);
            Assert.Equal(beta * (pr[i] - rr[i]), r.RejectedRewards.ToDoubleArray()[i], 5);
        }
        // Example 0 by hand: h = 0.1·((−12.5+13) − (−14+13.5)) = 0.1·(0.5+0.5) = 0.1 → −log σ(0.1) = 0.644397.
        Assert.Equal(0.644397, losses[0], 5);
    }

    [Fact]
    public void DpoGradientMatchesFiniteDifferences()
    {
        var pc = Rand.Param(1, 5); var pr = Rand.Param(2, 5);
        var rc = Rand.N(3, DType.F64, 5); var rr = Rand.N(4, DType.F64, 5);
        GradCheck.Check(x => PreferenceLosses.Dpo(x[0], x[1], rc, rr, 0.7).Losses, [pc, pr]);
    }

    [Fact]
    public void KtoLossEqualsThePaperFormulaOnFixedLogProbs()
    {
        double[] policy = [-10.0, -20.0, -5.5, -8.0], reference = [-10.5, -19.0, -6.0, -7.0];
        double[] policyKl = [-30.0, -25.0, -28.0, -22.0], refKl = [-30.4, -25.6, -27.9, -22.5];
        bool[] desirable = [true, false, true, false];
        double beta = 0.1, wd = 1.0, wu = 1.33;
        double z0 = PreferenceLosses.KlReferencePoint(Tensor.FromArray(policyKl), Tensor.FromArray(refKl));
        double expectZ0 = Math.Max(0, ((0.4) + (0.6) + (-0.1) + (0.5)) / 4); // mean of policy − ref over mismatched pairs
        Assert.Equal(expectZ0, z0, 5);
        var losses = PreferenceLosses.Kto(Tensor.FromArray(policy), Tensor.FromArray(reference), desirable, z0, beta, wd, wu).ToDoubleArray();
        for (int i = 0; i < 4; i++)
        {
            double r = policy[i] - reference[i];
            double e = desirable[i] ? wd * (1 - Sigmoid(beta * (r - z0))) : wu * (1 - Sigmoid(beta * (z0 - r)));
            Assert.Equal(e, losses[i], 5);
        }
        // A negative mean KL is clamped to 0.
        Assert.Equal(0, PreferenceLosses.KlReferencePoint(Tensor.FromArray(new[] { -1.0, -2.0 }), Tensor.FromArray(new[] { 0.0, 0.5 })));
    }

    [Fact]
    public void KtoGradientTreatsZ0AsAConstant()
    {
        var p = Rand.Param(5, 6); var r = Rand.N(6, DType.F64, 6);
        bool[] d = [true, false, false, true, true, false];
        GradCheck.Check(x => PreferenceLosses.Kto(x[0], r, d, 0.3, 0.5, 1.0, 2.0), [p]);
    }
}
