using Engine.Diagnostics.OpCases;
using Engine.Runtime;
using static Engine.Diagnostics.Cases.CaseKit;

namespace Engine.Diagnostics.Cases.Dropout;

/// <summary>
/// Inverted dropout from the Philox stream (kernels/dropout.cu): outputs bit for bit, and the keep mask against the
/// interface's definition (element i kept iff ToUniform(Word(seed, offset, i)) ≥ p), independently of either kernel.
/// </summary>
public static class DropoutCases
{
    private const string Family = "Dropout";
    private const ulong Seed = 0x5EED, Offset = 12_345; // a non-zero Philox offset, as successive dropout calls use

    public static IEnumerable<OpCase> All()
    {
        foreach (var (n, d) in new[] { (3, 37), (5, 4099) }) // 111 and 20495 elements: neither a multiple of 4
            foreach (var p in new[] { 0.1, 0.5 })
                yield return Dropout(n, d, p);
        yield return Backward();
        yield return DropoutBf16();
        yield return Autograd();
    }

    /// <summary>1 where element i is kept by definition, else 0.</summary>
    public static double[] KeepMask(long n, double p) =>
        Enumerable.Range(0, (int)n).Select(i => Philox.ToUniform(Philox.Word(Seed, Offset, (ulong)i)) >= p ? 1.0 : 0.0).ToArray();

    private static Tensor Kept(Tensor y) => Host(D(y).Select(v => v != 0 ? 1.0 : 0.0).ToArray());

    private static OpCase Dropout(int n, int d, double p) => new()
    {
        Family = Family, Name = $"dropout p={p}", Shape = DimsTight(n, d), Op = BackendOp.Dropout, DType = DType.F32,
        Inputs = s => [N(s, n, d)],
        Run = t => { var y = Be(t).Dropout(t[0], p, Seed, Offset); return [Exact($"dropout p={p} (bit mismatches)", y), Exact($"dropout p={p} mask vs Philox (mismatches)", Kept(y))]; },
        Expected = t => [Exact($"dropout p={p} (bit mismatches)", Backend.Cpu.Dropout(t[0], p, Seed, Offset)), Exact($"dropout p={p} mask vs Philox (mismatches)", Host(KeepMask(t[0].NumElements, p)))],
        Reference = t =>
        {
            float scale = (float)(1.0 / (1.0 - p));
            var keep = KeepMask(t[0].NumElements, p);
            return [Ref($"dropout p={p} (bit mismatches)", D(t[0]).Select((x, i) => keep[i] == 1 ? (double)((float)x * scale) : 0).ToArray(), 0)];
        },
    };

    /// <summary>The backward is the same call on dL/dy.</summary>
    private static OpCase Backward() => new()
    {
        Family = Family, Name = "dropout.bwd p=0.1", Shape = "[5,4099]", Op = BackendOp.Dropout, DType = DType.F32,
        Inputs = s => [N(s, 5, 4099)],
        Run = t => [Exact("dropout.bwd p=0.1 (bit mismatches)", Be(t).Dropout(t[0], 0.1, Seed, Offset))],
    };

    /// <summary>bf16 rounds the f32 product once, as the CPU's f32 → bf16 conversion does.</summary>
    private static OpCase DropoutBf16() => new()
    {
        Family = Family, Name = "dropout bf16 p=0.5", Shape = "[5,4099]", Op = BackendOp.Dropout, DType = DType.BF16,
        Inputs = s => [Bf16(N(s, 5, 4099))],
        Run = t => { var y = Be(t).Dropout(t[0], 0.5, Seed, Offset); return [Exact("dropout bf16 p=0.5 (bit mismatches)", y.DType == DType.BF16 ? y : Tensor.Scalar(double.NaN))]; },
        Expected = t => [Exact("dropout bf16 p=0.5 (bit mismatches)", Bf16(Backend.Cpu.Dropout(t[0].To(DType.F32), 0.5, Seed, Offset)))],
    };

    /// <summary>Ops.Dropout's recorded backward (the mask recomputed from the generator's seed and offset), bit for bit.</summary>
    private static OpCase Autograd() => new()
    {
        Family = Family, Name = "Ops.Dropout p=0.3 autograd", Shape = "[6, 301]", Op = BackendOp.Dropout, DType = DType.F32,
        Inputs = s => [N(s, 2.0, 6, 301), N(s + 1, 6, 301)],
        Run = t => { var x = Leaf(t[0]); Ops.Dropout(x, 0.3, new Generator(Seed) { Offset = 5 }).Backward(t[1]); return [Exact("Ops.Dropout p=0.3 autograd d/input0 (bit mismatches)", x.Grad!)]; },
        Gradient = new Gradient(x => Ops.Dropout(x[0], 0.3, new Generator(Seed) { Offset = 5 }), [0]),
    };
}
