using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Tests.Determinism;

/// <summary>
/// Reductions give the same bits wherever their input lies in memory. TensorPrimitives' Sum/Dot step to a 64-byte
/// boundary first, so a row copied to another address summed in another order; the loss of a row (its log-sum-exp,
/// computed through a stack buffer) then changed with the stack address, and so did every trained model.
/// </summary>
public class ReductionAddressTests
{
    private static float[] Values(int n, ulong seed) => Tensor.RandN([n], seed, 3.0, DType.F32).ToFloatArray();

    [Theory]
    [InlineData(1000)]
    [InlineData(1024)]
    [InlineData(4099)]
    public void SumAndDotGiveTheSameBitsAtEveryOffset(int n)
    {
        var x = Values(n, 1); var y = Values(n, 2);
        var buf = new float[n + 16]; var buf2 = new float[n + 16];
        float? sum = null, dot = null;
        for (int off = 0; off < 16; off++)
        {
            x.CopyTo(buf, off); y.CopyTo(buf2, 15 - off);
            float s = CpuReduce.Sum<float>(buf.AsSpan(off, n));
            float d = CpuReduce.Dot<float>(buf.AsSpan(off, n), buf2.AsSpan(15 - off, n));
            Assert.Equal(BitConverter.SingleToInt32Bits(sum ??= s), BitConverter.SingleToInt32Bits(s));
            Assert.Equal(BitConverter.SingleToInt32Bits(dot ??= d), BitConverter.SingleToInt32Bits(d));
        }
        // And they are the sums (against an f64 reference).
        double rs = 0, rd = 0;
        for (int i = 0; i < n; i++) { rs += x[i]; rd += (double)x[i] * y[i]; }
        Assert.Equal(rs, sum!.Value, Math.Max(1e-3, Math.Abs(rs) * 1e-5));
        Assert.Equal(rd, dot!.Value, Math.Max(1e-2, Math.Abs(rd) * 1e-5));
        Assert.Equal(rd, CpuReduce.Dot<double>(x.Select(v => (double)v).ToArray(), y.Select(v => (double)v).ToArray()), 1e-9);
    }

    [Fact]
    public void LogSumExpOfARowDoesNotDependOnTheStackAddress()
    {
        var row = Values(1024, 3);
        var bits = StackShift.Pads.Select(p => BitConverter.SingleToInt32Bits(StackShift.Run(p, () => SoftmaxRow.LogSumExp<float>(row)))).ToArray();
        Assert.All(bits, b => Assert.Equal(bits[0], b));
    }

    [Fact]
    public void GradientNormDoesNotDependOnTheStackAddress()
    {
        var g = Tensor.RandN([100_000], 4, 1.0, DType.F32);
        var norms = StackShift.Pads.Select(p => StackShift.Run(p, () => { unsafe { return CpuGradClip.SumOfSquares(g.Ptr<float>(), g.NumElements); } })).ToArray();
        Assert.All(norms, v => Assert.Equal(BitConverter.DoubleToInt64Bits(norms[0]), BitConverter.DoubleToInt64Bits(v)));
    }
}
