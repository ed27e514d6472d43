using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Runtime;

public class TensorTests
{
    [Fact]
    public void TransposeIsAViewAndContiguousCopiesInLogicalOrder()
    {
        var x = Tensor.FromArray(Enumerable.Range(0, 6).Select(i => (float)i).ToArray(), 2, 3);
        var t = x.Transpose(0, 1);
        Assert.Same(x.Storage, t.Storage);
        Assert.False(t.IsContiguous);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, t.ToArray<float>());
    }

    [Fact]
    public void NarrowAndReshapeShareStorage()
    {
        var x = Tensor.FromArray(Enumerable.Range(0, 24).Select(i => (double)i).ToArray(), 2, 3, 4);
        var n = x.Narrow(2, 1, 2);
        Assert.Same(x.Storage, n.Storage);
        Assert.Equal(new double[] { 1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22 }, n.ToArray<double>());
        var r = x.Reshape(6, -1);
        Assert.Same(x.Storage, r.Storage);
        Assert.Equal(new[] { 6, 4 }, r.ShapeArray());
        Assert.Throws<ArgumentException>(() => x.Reshape(5, -1));
    }

    [Fact]
    public void Bf16RoundsToNearestEvenAndRoundTrips()
    {
        // 1 + 2^-8 is exactly halfway between bf16 1.0 and 1.0078125: ties go to even (1.0).
        Assert.Equal(1.0f, DTypeConvert.Bf16ToFloat(DTypeConvert.FloatToBf16(1.0f + 1.0f / 256)));
        // 1 + 3·2^-8 is halfway between 1.0078125 (odd) and 1.015625 (even): up.
        Assert.Equal(1.015625f, DTypeConvert.Bf16ToFloat(DTypeConvert.FloatToBf16(1.0f + 3.0f / 256)));
        Assert.True(float.IsNaN(DTypeConvert.Bf16ToFloat(DTypeConvert.FloatToBf16(float.NaN))));
        var x = Rand.N(3, DType.F32, 1031);
        var back = x.To(DType.BF16).To(DType.F32).ToArray<float>();
        var src = x.ToArray<float>();
        for (int i = 0; i < src.Length; i++)
        {
            Assert.Equal(DTypeConvert.Bf16ToFloat(DTypeConvert.FloatToBf16(src[i])), back[i]); // vector path == scalar path
            Assert.True(Math.Abs(back[i] - src[i]) <= Math.Abs(src[i]) / 256 + 1e-30);
        }
    }

    [Fact]
    public void F16ConversionMatchesSystemHalf()
    {
        var x = Rand.N(4, DType.F32, 517);
        var h = x.To(DType.F16).ToArray<Half>();
        var src = x.ToArray<float>();
        for (int i = 0; i < src.Length; i++) Assert.Equal((Half)src[i], h[i]);
    }

    [Fact]
    public void BadShapesAndDevicesGiveClearErrors()
    {
        var a = Tensor.Zeros([2, 3]);
        var b = Tensor.Zeros([4, 5]);
        var e = Assert.Throws<ArgumentException>(() => Ops.Add(a, b));
        Assert.Contains("do not broadcast", e.Message);
        Assert.Throws<ArgumentException>(() => Ops.MatMul(a, b));
        Assert.Throws<ArgumentException>(() => Device.Parse("tpu"));
        Assert.Equal(Device.Cuda(1), Device.Parse("cuda:1"));
    }
}
