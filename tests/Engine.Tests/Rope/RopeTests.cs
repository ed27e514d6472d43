using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Rope;

public class RopeTests
{
    /// <summary>y = x·cos + rotate_half(x)·sin on the first R dims, by the HF definition; x/cos/sin in logical order.</summary>
    private static double[] RopeRef(double[] x, int b, int h, int t, int d, double[] cos, double[] sin, int r, bool batchTables)
    {
        var y = (double[])x.Clone();
        int half = r / 2;
        for (int bi = 0; bi < b; bi++)
            for (int hi = 0; hi < h; hi++)
                for (int ti = 0; ti < t; ti++)
                {
                    int row = ((bi * h + hi) * t + ti) * d;
                    int tab = ((batchTables ? bi * t : 0) + ti) * r;
                    for (int j = 0; j < r; j++)
                    {
                        double rot = j < half ? -x[row + j + half] : x[row + j - half];
                        y[row + j] = x[row + j] * cos[tab + j] + rot * sin[tab + j];
                    }
                }
        return y;
    }

    [Fact]
    public void MatchesRotateHalfDefinitionWithSharedTables()
    {
        var x = Rand.N(1, DType.F32, 2, 3, 5, 8);
        var cos = Rand.N(2, DType.F32, 5, 8);
        var sin = Rand.N(3, DType.F32, 5, 8);
        var y = Ops.Rope(x, cos, sin);
        Close.All(RopeRef(x.ToDoubleArray(), 2, 3, 5, 8, cos.ToDoubleArray(), sin.ToDoubleArray(), 8, false), y.ToDoubleArray(), 1e-6, 1e-5);
    }

    [Fact]
    public void StridedInputPerBatchTablesAndPartialRotary()
    {
        // x as a model makes it: [B, T, H, D] transposed to [B, H, T, D]; tables [B, T, R] with R = 6 < D = 10.
        var x = Rand.N(4, DType.F32, 2, 7, 3, 10).Transpose(1, 2);
        var cos = Rand.N(5, DType.F32, 2, 7, 6);
        var sin = Rand.N(6, DType.F32, 2, 7, 6);
        var y = Ops.Rope(x, cos, sin);
        Assert.Equal(new[] { 2, 3, 7, 10 }, y.ShapeArray());
        Close.All(RopeRef(x.ToDoubleArray(), 2, 3, 7, 10, cos.ToDoubleArray(), sin.ToDoubleArray(), 6, true), y.ToDoubleArray(), 1e-6, 1e-5);
    }

    [Fact]
    public void RotatesPairsByTheRealAngle()
    {
        // With real tables the map is a rotation of each (j, j+D/2) pair: norms are preserved and position 0 is the identity.
        var rope = new RotaryEmbedding(8, 10000);
        var (cos, sin) = rope.Tables([0, 3, 11]);
        var x = Rand.N(7, DType.F64, 1, 2, 3, 8);
        var y = Ops.Rope(x, cos.To(DType.F64), sin.To(DType.F64)).ToDoubleArray();
        var xv = x.ToDoubleArray();
        for (int hi = 0; hi < 2; hi++)
            for (int t = 0; t < 3; t++)
                for (int j = 0; j < 4; j++)
                {
                    int a = (hi * 3 + t) * 8 + j, b = a + 4;
                    Assert.Equal(xv[a] * xv[a] + xv[b] * xv[b], y[a] * y[a] + y[b] * y[b], 5);
                    if (t == 0) { Assert.Equal(xv[a], y[a], 6); Assert.Equal(xv[b], y[b], 6); }
                }
    }

    [Fact]
    public void Gradients()
    {
        // Random (not rotation-symmetric) tables, so the transposed map is exercised in full.
        var cos = Rand.N(11, DType.F64, 5, 6);
        var sin = Rand.N(12, DType.F64, 5, 6);
        GradCheck.Check(xs => Ops.Rope(xs[0], cos, sin), [Rand.Param(13, 2, 3, 5, 6)]);
        var cosB = Rand.N(14, DType.F64, 2, 5, 4);
        var sinB = Rand.N(15, DType.F64, 2, 5, 4);
        GradCheck.Check(xs => Ops.Rope(xs[0].Transpose(1, 2), cosB, sinB), [Rand.Param(16, 2, 5, 3, 7)]);
    }
}
