using Engine.Runtime;

namespace Engine.Tests.Infrastructure;

public static class Rand
{
    /// <summary>Random normal tensor; requiresGrad leaves for gradient checks are F64.</summary>
    public static Tensor N(ulong seed, DType dtype, params int[] shape) => Tensor.RandN(shape, seed, 1.0, dtype);

    public static Tensor Param(ulong seed, params int[] shape)
    {
        var t = Tensor.RandN(shape, seed, 1.0, DType.F64);
        t.RequiresGrad = true;
        return t;
    }

    public static Tensor Ids(ulong seed, int vocab, params int[] shape)
    {
        var u = Tensor.RandUniform(shape, seed, 0, vocab, DType.F64).ToDoubleArray();
        return Tensor.FromArray(u.Select(v => (long)Math.Floor(v)).ToArray(), shape);
    }
}

public static class Close
{
    /// <summary>Elementwise |a−e| ≤ atol + rtol·|e|, reporting the worst element.</summary>
    public static void All(double[] expected, double[] actual, double atol, double rtol, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        int worst = -1; double worstExcess = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            var d = Math.Abs(expected[i] - actual[i]);
            var excess = d - (atol + rtol * Math.Abs(expected[i]));
            if (double.IsNaN(actual[i]) != double.IsNaN(expected[i])) excess = double.PositiveInfinity;
            if (excess > worstExcess) { worstExcess = excess; worst = i; }
        }
        Assert.True(worst < 0, worst < 0 ? "" : $"{what} element {worst}: expected {expected[worst]:G9}, got {actual[worst]:G9}");
    }
}
