using Engine.Diagnostics.Cases.Loss;
using Engine.Runtime;

namespace Engine.Tests.Activation;

/// <summary>
/// F32 results of the ops whose f32 formulas cancel are the f64 values rounded once (the CUDA twins compute the same
/// way, so the backends agree bit for bit): checked against plain f64 formulas at the points where f32 evaluation failed.
/// </summary>
public class F32AccuracyTests
{
    private const double K = 0.79788456080286535588, C = 0.044715;

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static void AllWithinOneRounding(double[] want, float[] got, string what)
    {
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(got[i] - want[i]) <= 6e-8 * Math.Abs(want[i]) + 1e-40, $"{what}[{i}]: {got[i]:R}, f64 {want[i]:R}");
    }

    [Fact]
    public void GeluTanhAndSiluGradientsAreRoundedF64Values()
    {
        // Negative tail of the tanh GELU (1 + tanh → 0: the f32 gradient was ~30% off at −5) and SiLU's zero near −1.28.
        float[] xs = [-5.0069456f, -4.7057576f, -3.3f, -0.7436039f, -1.2784645f, -1.25f, -1.3f, 0.01f, 2.5f];
        float[] gys = xs.Select((_, i) => 0.5f + 0.125f * i).ToArray();
        var x = Tensor.FromArray(xs, xs.Length); var gy = Tensor.FromArray(gys, gys.Length);
        var be = Backend.Cpu;

        double GeluTanh(double v) => 0.5 * v * (1 + Math.Tanh(K * (v + C * v * v * v)));
        double GeluTanhGrad(double v)
        {
            double th = Math.Tanh(K * (v + C * v * v * v));
            return 0.5 * (1 + th) + 0.5 * v * (1 - th * th) * K * (1 + 3 * C * v * v);
        }
        double SiluGrad(double v) => Sigmoid(v) * (1 + v * (1 - Sigmoid(v)));

        AllWithinOneRounding(xs.Select(v => GeluTanh(v)).ToArray(), be.Activation(ActivationKind.GeluTanh, x).ToArray<float>(), "gelu tanh");
        AllWithinOneRounding(xs.Select((v, i) => GeluTanhGrad(v) * gys[i]).ToArray(), be.ActivationBackward(ActivationKind.GeluTanh, x, gy).ToArray<float>(), "gelu tanh grad");
        AllWithinOneRounding(xs.Select((v, i) => SiluGrad(v) * gys[i]).ToArray(), be.ActivationBackward(ActivationKind.Silu, x, gy).ToArray<float>(), "silu grad");
    }

    [Fact]
    public void LayerNormF32StatisticsDoNotDependOnElementOrder()
    {
        // Statistics accumulate in f64: reversing each row (another summation order) gives the same bits.
        const int rows = 4, d = 1000;
        var xa = Tensor.RandN([rows, d], 11, 1.5).ToArray<float>();
        for (int i = 0; i < xa.Length; i++) xa[i] += 7.25f * (i / d - 1.5f); // offset means, |μ| ≫ σ in some rows
        var rev = new float[xa.Length];
        for (int r = 0; r < rows; r++) for (int j = 0; j < d; j++) rev[r * d + j] = xa[r * d + d - 1 - j];
        var w = Tensor.Full([d], 1.0, DType.F32);
        var (_, m1, s1) = Backend.Cpu.LayerNorm(Tensor.FromArray(xa, rows, d), w, null, 1e-5);
        var (_, m2, s2) = Backend.Cpu.LayerNorm(Tensor.FromArray(rev, rows, d), w, null, 1e-5);
        Assert.Equal(m1.ToArray<float>(), m2.ToArray<float>());
        Assert.Equal(s1.ToArray<float>(), s2.ToArray<float>());
        // And the mean is the f64 mean rounded once.
        for (int r = 0; r < rows; r++)
            Assert.Equal((float)(xa.Skip(r * d).Take(d).Sum(v => (double)v) / d), m1.ToArray<float>()[r]);
    }

    [Fact]
    public void SymmetricKlF32KeepsRelativeAccuracyOverAVocabularySizedRow()
    {
        // x − lse in f32 loses ~1e-6 absolute when lse ≈ 14; evaluated in f64, the f32 result is one rounding away.
        const int vocab = 150_001;
        var p = Tensor.RandN([1, vocab], 21, 2.0).ToArray<float>();
        var q = Tensor.RandN([1, vocab], 22, 0.7).ToArray<float>().Select((v, i) => v + p[i]).ToArray();
        double[] pd = p.Select(v => (double)v).ToArray(), qd = q.Select(v => (double)v).ToArray();
        double want = LossReference.Kl(pd, qd, 0, vocab) + LossReference.Kl(qd, pd, 0, vocab);
        var (kl, _) = Backend.Cpu.SymmetricKl(Tensor.FromArray(p, 1, vocab), Tensor.FromArray(q, 1, vocab));
        double got = kl.ToArray<float>()[0];
        Assert.True(Math.Abs(got - want) <= 6e-8 * want, $"f32 symmetric KL {got:R}, f64 {want:R} (rel {Math.Abs(got - want) / want:E2})");
    }
}
