using Engine.Diagnostics.OpCases;
using Engine.Runtime;
using static Engine.Diagnostics.Cases.CaseKit;

namespace Engine.Diagnostics.Cases.Norm;

/// <summary>RMSNorm and LayerNorm, forward (f32 and bf16) and backward (kernels/norm.cu).</summary>
public static class NormCases
{
    private const string Family = "Norm";

    public static IEnumerable<OpCase> All()
    {
        foreach (var (n, d) in new[] { (3, 37), (17, 1000), (5, 4099) }) yield return RmsNorm(n, d);
        yield return RmsNormBf16();
        // [130, 65] and [200, 37] span several 64-row parts of the weight-gradient reduction; one shape without bias.
        foreach (var (n, d) in new[] { (3, 37), (17, 1000), (5, 4099), (130, 65), (200, 37) }) yield return LayerNorm(n, d, withBias: d != 1000);
        yield return LayerNormBf16();
        yield return LayerNormAutograd();
    }

    private static OpCase RmsNorm(int n, int d) => new()
    {
        Family = Family, Name = "rmsnorm", Shape = Dims(n, d), Op = BackendOp.RmsNorm, DType = DType.F32,
        Inputs = s => [N(s, n, d), N(s + 1, d), N(s + 2, n, d)],
        Run = t =>
        {
            var be = Be(t);
            var (y, rstd) = be.RmsNorm(t[0], t[1], 1e-6);
            var (gx, gw) = be.RmsNormBackward(t[0], t[1], rstd, t[2]);
            return [Rel("rmsnorm.fwd", y), Rel("rmsnorm.bwd.x", gx), Rel("rmsnorm.bwd.w", gw)];
        },
        Reference = t =>
        {
            var (y, _) = NormReference.RmsNorm(D(t[0]), D(t[1]), d, 1e-6);
            var (gx, gw) = NormReference.RmsNormBackward(D(t[0]), D(t[1]), D(t[2]), d, 1e-6);
            return [Ref("rmsnorm.fwd", y), Ref("rmsnorm.bwd.x", gx), Ref("rmsnorm.bwd.w", gw)];
        },
        Gradient = n == 3 ? new Gradient(x => Ops.RmsNorm(x[0], x[1], 1e-6), [0, 1]) : null,
        Flops = 8.0 * n * d,
    };

    /// <summary>bf16 activations and weight, f32 statistics: the reference is the f32 op on the same bf16 values.</summary>
    private static OpCase RmsNormBf16() => new()
    {
        Family = Family, Name = "rmsnorm bf16", Shape = "[5,4099]", Op = BackendOp.RmsNorm, DType = DType.BF16,
        Inputs = s => [Bf16(N(s, 2.0, 5, 4099)), Bf16(N(s + 1, 4099))],
        Run = t => { var (y, rstd) = Be(t).RmsNorm(t[0], t[1], 1e-6); return [Rel("rmsnorm.fwd bf16", y, Check.Half), Rel("rmsnorm.rstd bf16 (f32 stats)", rstd)]; },
        Reference = t => { var (y, rstd) = NormReference.RmsNorm(D(t[0]), D(t[1]), 4099, 1e-6); return [Ref("rmsnorm.fwd bf16", y), Ref("rmsnorm.rstd bf16 (f32 stats)", rstd)]; },
    };

    /// <summary>An offset mean (|μ| ≫ std in some rows) exercises the two-pass variance.</summary>
    private static Tensor OffsetRows(ulong s, int n, int d, double std)
    {
        var x = N(s, std, n, d).ToArray<float>();
        var mu = N(s + 1, 4.0, n).ToArray<float>();
        for (int i = 0; i < x.Length; i++) x[i] += mu[i / d];
        return Tensor.FromArray(x, n, d);
    }

    private static OpCase LayerNorm(int n, int d, bool withBias)
    {
        string tag = withBias ? "" : " (no bias)";
        return new OpCase
        {
            Family = Family, Name = "layernorm" + tag, Shape = DimsTight(n, d), Op = BackendOp.LayerNorm, DType = DType.F32,
            Inputs = s => [OffsetRows(s, n, d, 1.5), N(s + 2, d), N(s + 3, d), N(s + 4, n, d)],
            Run = t =>
            {
                var be = Be(t);
                var (y, mean, rstd) = be.LayerNorm(t[0], t[1], withBias ? t[2] : null, 1e-5);
                var (gx, gw, gb) = be.LayerNormBackward(t[0], t[1], mean, rstd, t[3], withBias);
                return [Rel($"layernorm.fwd{tag}", y), Rel("layernorm.mean", mean), Rel("layernorm.rstd", rstd),
                    Rel($"layernorm.bwd.gx{tag}", gx), Rel($"layernorm.bwd.gw{tag}", gw),
                    withBias ? Rel("layernorm.bwd.gb", gb ?? Tensor.Scalar(double.NaN)) : Flag("layernorm.bwd.gb absent (no bias)", gb is null)];
            },
            Reference = t =>
            {
                var (x, w) = (D(t[0]), D(t[1]));
                var (y, mean, rstd) = NormReference.LayerNorm(x, w, withBias ? D(t[2]) : null, d, 1e-5);
                var (gx, gw, gb) = NormReference.LayerNormBackward(x, w, D(t[3]), d, 1e-5);
                var refs = new List<ReferenceOutput> { Ref($"layernorm.fwd{tag}", y), Ref("layernorm.mean", mean), Ref("layernorm.rstd", rstd),
                    Ref($"layernorm.bwd.gx{tag}", gx), Ref($"layernorm.bwd.gw{tag}", gw) };
                if (withBias) refs.Add(Ref("layernorm.bwd.gb", gb));
                return refs;
            },
            Gradient = n == 3 ? new Gradient(x => Ops.LayerNorm(x[0], x[1], withBias ? x[2] : null, 1e-5), withBias ? [0, 1, 2] : [0, 1]) : null,
            Flops = 10.0 * n * d,
        };
    }

    /// <summary>bf16 activations, weight and bias with f32 statistics.</summary>
    private static OpCase LayerNormBf16() => new()
    {
        Family = Family, Name = "layernorm bf16", Shape = "[5,4099]", Op = BackendOp.LayerNorm, DType = DType.BF16,
        Inputs = s => [Bf16(N(s, 2.0, 5, 4099)), Bf16(N(s + 1, 4099)), Bf16(N(s + 2, 4099))],
        Run = t =>
        {
            var (y, mean, rstd) = Be(t).LayerNorm(t[0], t[1], t[2], 1e-5);
            return [Rel("layernorm.fwd bf16", y.DType == t[0].DType ? y : Tensor.Scalar(double.NaN), Check.Half),
                Rel("layernorm.mean bf16 (f32 stats)", mean), Rel("layernorm.rstd bf16 (f32 stats)", rstd)];
        },
        Reference = t =>
        {
            var (y, mean, rstd) = NormReference.LayerNorm(D(t[0]), D(t[1]), D(t[2]), 4099, 1e-5);
            return [Ref("layernorm.fwd bf16", y), Ref("layernorm.mean bf16 (f32 stats)", mean), Ref("layernorm.rstd bf16 (f32 stats)", rstd)];
        },
    };

    /// <summary>Ops.LayerNorm's recorded backward end to end (contiguity, reshapes, the saved statistics), not only the backend calls.</summary>
    private static OpCase LayerNormAutograd() => new()
    {
        Family = Family, Name = "Ops.LayerNorm autograd", Shape = "[6, 301]", Op = BackendOp.LayerNormBackward, DType = DType.F32,
        Inputs = s => [N(s, 2.0, 6, 301), N(s + 1, 301), N(s + 2, 301), N(s + 3, 6, 301)],
        Run = t =>
        {
            var (x, w, b) = (Leaf(t[0]), Leaf(t[1]), Leaf(t[2]));
            Ops.LayerNorm(x, w, b, 1e-5).Backward(t[3]);
            return [Rel("Ops.LayerNorm autograd d/input0", x.Grad!), Rel("Ops.LayerNorm autograd d/input1", w.Grad!, shape: "[301]"),
                Rel("Ops.LayerNorm autograd d/input2", b.Grad!, shape: "[301]")];
        },
    };
}
