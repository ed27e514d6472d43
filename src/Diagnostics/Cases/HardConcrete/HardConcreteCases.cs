using Engine.Diagnostics.OpCases;
using Engine.Runtime;
using static Engine.Diagnostics.Cases.CaseKit;

namespace Engine.Diagnostics.Cases.HardConcrete;

/// <summary>Hard-concrete (L0) gates of DRPruning: the training sample, the score, their gradients, the clamp and the eval mask (kernels/hardconcrete.cu).</summary>
public static class HardConcreteCases
{
    private const string Family = "HardConcrete";
    private const ulong Offset = 7;

    public static IEnumerable<OpCase> All()
    {
        foreach (var n in new[] { 1, 1000, 65_537 })
        {
            yield return Sample(n);
            yield return Score(n);
            yield return Clamp(n);
        }
        // Rows of a head mask, an intermediate mask (13,824 = LLaMA-2-7B), the hidden mask; k from the score or from a
        // target size; and rows full of ties (log α on a coarse grid, as after the clamp at init).
        foreach (var (r, n, target, ties) in new[] { (3, 37, -1, false), (24, 1000, -1, false), (2, 13_824, -1, false), (1, 4099, -1, false),
                                                       (24, 1000, 600, false), (8, 515, -1, true), (8, 515, 300, true) })
            yield return EvalMask(r, n, target, ties);
    }

    /// <summary>log α with std 3 reaches both clamps of z. The seed rides in the inputs so both sides draw the same noise.</summary>
    private static OpCase Sample(int n) => new()
    {
        Family = Family, Name = "hardconcrete.sample", Shape = Dims(n), Op = BackendOp.HardConcreteSample, DType = DType.F32,
        Inputs = s => [N(s, 3.0, n), N(s + 1, n), Tensor.FromArray(new[] { (long)(s & 0xFFFFFFFF) }, 1)],
        Run = t =>
        {
            ulong seed = NoiseSeed(t[2]);
            var be = Be(t[0]);
            return [new Output("hardconcrete.sample", be.HardConcreteSample(t[0], seed, Offset), Check.RelOrAbs(Check.F32)),
                new Output("hardconcrete.sample.bwd", be.HardConcreteSampleBackward(t[0], seed, Offset, t[1]), Check.RelOrAbs(Check.F32))];
        },
        Reference = t =>
        {
            ulong seed = NoiseSeed(t[2]);
            var (la, gz) = (D(t[0]), D(t[1]));
            var u = Enumerable.Range(0, n).Select(i => HardConcreteReference.Noise(seed, Offset, i)).ToArray();
            return [Ref("hardconcrete.sample", la.Select((a, i) => HardConcreteReference.Sample(a, u[i])).ToArray()),
                Ref("hardconcrete.sample.bwd", la.Select((a, i) => gz[i] * HardConcreteReference.SampleDerivative(a, u[i])).ToArray())];
        },
        Gradient = n == 1000 ? new Gradient(x => Ops.HardConcreteSample(x[0], NoiseSeed(x[2]), Offset), [0]) : null,
    };

    private static ulong NoiseSeed(Tensor seed) => (ulong)(long)D(seed)[0];

    /// <summary>log α with std 8 reaches the ε clamp of the score.</summary>
    private static OpCase Score(int n) => new()
    {
        Family = Family, Name = "hardconcrete.score", Shape = Dims(n), Op = BackendOp.HardConcreteScore, DType = DType.F32,
        Inputs = s => [N(s, 8.0, n), N(s + 1, n)],
        Run = t => [new Output("hardconcrete.score", Be(t).HardConcreteScore(t[0]), Check.RelOrAbs(Check.F32)),
            new Output("hardconcrete.score.bwd", Be(t).HardConcreteScoreBackward(t[0], t[1]), Check.RelOrAbs(Check.F32))],
        Reference = t =>
        {
            var (la, gs) = (D(t[0]), D(t[1]));
            return [Ref("hardconcrete.score", la.Select(HardConcreteReference.Score).ToArray()),
                Ref("hardconcrete.score.bwd", la.Select((a, i) => gs[i] * HardConcreteReference.ScoreDerivative(a)).ToArray())];
        },
        Gradient = n == 1000 ? new Gradient(x => Ops.HardConcreteScore(x[0]), [0]) : null,
    };

    private static OpCase Clamp(int n) => new()
    {
        Family = Family, Name = "hardconcrete.clamp", Shape = Dims(n), Op = BackendOp.HardConcreteClamp, DType = DType.F32,
        Inputs = s => [N(s, 8.0, n)],
        Run = t => { var x = t[0].Clone(); Be(t).HardConcreteClampInPlace(x, Runtime.HardConcrete.LogAlphaMin, Runtime.HardConcrete.LogAlphaMax); return [Exact("hardconcrete.clamp", x)]; },
        Reference = t => [Ref("hardconcrete.clamp", D(t[0]).Select(v => (double)Math.Clamp((float)v, (float)Runtime.HardConcrete.LogAlphaMin, (float)Runtime.HardConcrete.LogAlphaMax)).ToArray(), 0)],
    };

    private static OpCase EvalMask(int r, int n, int target, bool ties) => new()
    {
        Family = Family, Name = "hardconcrete.eval_mask", Shape = $"[{r}, {n}]" + (target >= 0 ? $" target {target}" : "") + (ties ? " ties" : ""),
        Op = BackendOp.HardConcreteEvalMask, DType = DType.F32,
        Inputs = s =>
        {
            var la = N(s, 2.0, r, n);
            return ties ? [Tensor.FromArray(la.ToArray<float>().Select(v => MathF.Round(v * 2) / 2).ToArray(), r, n)] : [la];
        },
        Run = t => { var y = Be(t).HardConcreteEvalMask(t[0], target); return [new Output("hardconcrete.eval_mask.zeros", y, Check.ZeroPattern), new Output("hardconcrete.eval_mask", y, Check.RelOrAbs(Check.F32))]; },
        Reference = t =>
        {
            var la = D(t[0]);
            var y = Enumerable.Range(0, r).SelectMany(row =>
            {
                var x = la[(row * n)..((row + 1) * n)];
                return HardConcreteReference.EvalMaskRow(x, target >= 0 ? n - target : HardConcreteReference.ZerosFromScore(x));
            }).ToArray();
            return [Ref("hardconcrete.eval_mask", y)];
        },
    };
}
