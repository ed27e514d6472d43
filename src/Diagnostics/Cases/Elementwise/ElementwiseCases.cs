using Engine.Diagnostics.OpCases;
using Engine.Runtime;
using static Engine.Diagnostics.Cases.CaseKit;

namespace Engine.Diagnostics.Cases.Elementwise;

/// <summary>Binary and unary ops, their gradients, sums, broadcasts, casts and the strided copy (kernels/elementwise.cu).</summary>
public static class ElementwiseCases
{
    private const string Family = "Elementwise";

    public static IEnumerable<OpCase> All()
    {
        foreach (var n in new[] { 1, 1000, 65_537 })
        {
            foreach (var op in Enum.GetValues<BinaryOp>()) yield return Binary(op, n);
            foreach (var op in Enum.GetValues<UnaryOp>()) yield return Unary(op, n);
            yield return CastToBf16(n);
        }
        foreach (var op in new[] { UnaryOp.Exp, UnaryOp.Sigmoid, UnaryOp.Tanh, UnaryOp.LogSigmoid, UnaryOp.Square, UnaryOp.Log }) yield return UnaryBackward(op);
        yield return RowBroadcast(BinaryOp.Add);
        yield return RowBroadcast(BinaryOp.Div);
        yield return Affine();
        foreach (var dims in new[] { new[] { 0, 1 }, new[] { 2 }, new[] { 0, 2 } }) yield return Sum(dims);
        yield return BroadcastTo();
        yield return StridedCopy();
        foreach (var (scale, name) in new[] { (1f, "normal"), (3e-5f, "subnormal"), (4e4f, "overflow") }) yield return CastToF16(scale, name);
        yield return CastF16ToF32();
        yield return CastBf16ToF32();
        yield return CastI32ToI64();
    }

    /// <summary>b shifted away from 0 by ±0.5, so Div has no near-zero divisor.</summary>
    private static Tensor Divisor(ulong seed, params int[] shape) =>
        Tensor.FromArray(N(seed, shape).ToArray<float>().Select(v => v + (v >= 0 ? 0.5f : -0.5f)).ToArray(), shape);

    private static OpCase Binary(BinaryOp op, int n) => new()
    {
        Family = Family, Name = $"binary.{op}", Shape = Dims(n), Op = BackendOp.Binary, DType = DType.F32,
        Inputs = s => [N(s, n), Divisor(s + 1, n)],
        Run = t => [Rel($"binary.{op}", Be(t).Binary(op, t[0], t[1]), 1e-6)],
        Reference = t => [Ref($"binary.{op}", ElementwiseReference.Binary(op, D(t[0]), D(t[1])), 1e-6)],
        Gradient = n == 1000 ? new Gradient(x => op switch
        {
            BinaryOp.Add => Ops.Add(x[0], x[1]), BinaryOp.Sub => Ops.Sub(x[0], x[1]), BinaryOp.Mul => Ops.Mul(x[0], x[1]), _ => Ops.Div(x[0], x[1]),
        }, [0, 1]) : null,
    };

    /// <summary>Log and Sqrt get |x| + 0.1 (their domain).</summary>
    private static Tensor UnaryInput(UnaryOp op, ulong seed, params int[] shape) =>
        op is UnaryOp.Log or UnaryOp.Sqrt ? Tensor.FromArray(N(seed, shape).ToArray<float>().Select(v => Math.Abs(v) + 0.1f).ToArray(), shape) : N(seed, shape);

    private static OpCase Unary(UnaryOp op, int n) => new()
    {
        Family = Family, Name = $"unary.{op}", Shape = Dims(n), Op = BackendOp.Unary, DType = DType.F32,
        Inputs = s => [UnaryInput(op, s, n)],
        Run = t => [Rel($"unary.{op}", Be(t).Unary(op, t[0]))],
        // The CPU answer is the f64 op rounded once: a device's tanhf/expf is judged against the exact value.
        Expected = t => [Rel($"unary.{op}", Backend.Cpu.Unary(op, t[0].To(DType.F64)).To(DType.F32))],
        Reference = t => [Ref($"unary.{op}", D(t[0]).Select(v => ElementwiseReference.Unary(op, v)).ToArray())],
        Gradient = n == 1000 ? new Gradient(x => Ops.Unary(op, x[0]), [0]) : null,
    };

    private static OpCase UnaryBackward(UnaryOp op) => new()
    {
        Family = Family, Name = $"unary.{op}.bwd", Shape = "[7, 129]", Op = BackendOp.UnaryBackward, DType = DType.F32,
        // x, the CPU's y = op(x) (both backends differentiate the same y), dL/dy.
        Inputs = s => { var x = op == UnaryOp.Log ? Tensor.RandUniform([7, 129], s, 0.5, 2.0) : N(s, 7, 129); return [x, Backend.Cpu.Unary(op, x), N(s + 1, 7, 129)]; },
        Run = t => [Rel($"unary.{op}.bwd", Be(t).UnaryBackward(op, t[0], t[1], t[2]))],
        Reference = t => [Ref($"unary.{op}.bwd", D(t[0]).Zip(D(t[2]), (x, g) => ElementwiseReference.UnaryDerivative(op, x) * g).ToArray())],
    };

    private static OpCase RowBroadcast(BinaryOp op) => new()
    {
        Family = Family, Name = $"binary.{op} row broadcast", Shape = "[13, 257] ∘ [257]", Op = BackendOp.Binary, DType = DType.F32,
        Inputs = s => [N(s, 13, 257), Divisor(s + 1, 257)],
        Run = t => [Rel($"binary.{op} row broadcast", Be(t).Binary(op, t[0], t[1]), 1e-6)],
        Reference = t => { var a = D(t[0]); var b = D(t[1]); return [Ref($"binary.{op} row broadcast", ElementwiseReference.Binary(op, a, a.Select((_, i) => b[i % 257]).ToArray()), 1e-6)]; },
        Gradient = new Gradient(x => op == BinaryOp.Add ? Ops.Add(x[0], x[1]) : Ops.Div(x[0], x[1]), [0, 1]),
    };

    private static OpCase Affine() => new()
    {
        Family = Family, Name = "affine", Shape = "[4099]", Op = BackendOp.Affine, DType = DType.F32,
        Inputs = s => [N(s, 4099)],
        Run = t => [Rel("affine", Be(t).Affine(t[0], -1.75, 0.3), 1e-6)],
        Reference = t => [Ref("affine", D(t[0]).Select(v => -1.75 * v + 0.3).ToArray(), 1e-6)],
        Gradient = new Gradient(x => Ops.Affine(x[0], -1.75, 0.3), [0]),
    };

    private static OpCase Sum(int[] dims) => new()
    {
        Family = Family, Name = $"sum dims [{string.Join(",", dims)}]", Shape = "[3, 5, 11]", Op = BackendOp.Sum, DType = DType.F32,
        Inputs = s => [N(s, 3, 5, 11)],
        Run = t => [Rel($"sum dims [{string.Join(",", dims)}]", Be(t).Sum(t[0], dims, true))],
        Reference = t => [Ref($"sum dims [{string.Join(",", dims)}]", ElementwiseReference.Sum(D(t[0]), [3, 5, 11], dims))],
        Gradient = new Gradient(x => Ops.Sum(x[0], dims, keepDim: true), [0]),
    };

    private static OpCase BroadcastTo() => new()
    {
        Family = Family, Name = "broadcast_to", Shape = "[3,1,11] → [3,5,11]", Op = BackendOp.BroadcastTo, DType = DType.F32,
        Inputs = s => [N(s, 3, 1, 11)],
        Run = t => [Exact("broadcast_to", Be(t).BroadcastTo(t[0], [3, 5, 11]))],
        Reference = t => { var x = D(t[0]); return [Ref("broadcast_to", Enumerable.Range(0, 165).Select(i => x[i / 55 * 11 + i % 11]).ToArray(), 0)]; },
    };

    /// <summary>A transposed view made dense on the device (the strided copy kernel).</summary>
    private static OpCase StridedCopy() => new()
    {
        Family = Family, Name = "copy.strided", Shape = "[2, 5, 3, 7]", Op = BackendOp.Cast, DType = DType.F32,
        Inputs = s => [N(s, 2, 3, 5, 7)],
        Run = t =>
        {
            var view = t[0].Transpose(1, 2);
            var dense = Tensor.Empty(view.Shape, DType.F32, t[0].Device);
            view.CopyTo(dense);
            return [Exact("copy.strided", dense)];
        },
        Reference = t =>
        {
            var x = D(t[0]);
            var y = new double[x.Length];
            for (int a = 0; a < 2; a++) for (int b = 0; b < 5; b++) for (int c = 0; c < 3; c++) for (int d = 0; d < 7; d++)
                y[((a * 5 + b) * 3 + c) * 7 + d] = x[((a * 3 + c) * 5 + b) * 7 + d];
            return [Ref("copy.strided", y, 0)];
        },
    };

    private static OpCase CastToBf16(int n) => new()
    {
        Family = Family, Name = "cast.f32→bf16", Shape = Dims(n), Op = BackendOp.Cast, DType = DType.F32,
        Inputs = s => [N(s, n)],
        Run = t => [Exact("cast.f32→bf16", Be(t).Cast(t[0], DType.BF16))],
        Reference = t => [Ref("cast.f32→bf16", D(t[0]).Select(v => (double)ElementwiseReference.RoundToBf16((float)v)).ToArray(), 0)],
    };

    /// <summary>Special values of f32 → f16: zeros, infinities, the overflow and subnormal boundaries, exact ties.</summary>
    private static readonly float[] HalfSpecials = [0f, -0f, float.PositiveInfinity, float.NegativeInfinity, 65504f, 65519.99f, 65520f, -65520f, 1e9f,
        MathF.Pow(2, -14), MathF.Pow(2, -24), MathF.Pow(2, -25), MathF.Pow(2, -25) * 1.0000001f, MathF.Pow(2, -24) * 1.5f,
        MathF.Pow(2, -24) * 2.5f, 1f + MathF.Pow(2, -11), 1f + 3 * MathF.Pow(2, -11), 1e-9f];

    private static OpCase CastToF16(float scale, string name) => new()
    {
        Family = Family, Name = $"cast.f32→f16 ({name})", Shape = "[4117]", Op = BackendOp.Cast, DType = DType.F32,
        Inputs = s => { var x = N(s, 4099).ToArray<float>().Select(v => v * scale).Concat(HalfSpecials).ToArray(); return [Tensor.FromArray(x, x.Length)]; },
        Run = t => [Exact($"cast.f32→f16 ({name})", Be(t).Cast(t[0], DType.F16))],
        Reference = t => [Ref($"cast.f32→f16 ({name})", D(t[0]).Select(v => ElementwiseReference.RoundToF16(v)).ToArray(), 0)],
    };

    private static OpCase CastF16ToF32() => new()
    {
        Family = Family, Name = "cast.f16→f32 (all non-NaN)", Shape = "[63490]", Op = BackendOp.Cast, DType = DType.F16,
        Inputs = _ =>
        {
            var all = Enumerable.Range(0, 65536).Select(i => (ushort)i).Where(h => (h & 0x7c00) != 0x7c00 || (h & 0x3ff) == 0).Select(BitConverter.UInt16BitsToHalf).ToArray();
            return [Tensor.FromArray(all, all.Length)];
        },
        Run = t => [Exact("cast.f16→f32 (all non-NaN)", Be(t).Cast(t[0], DType.F32))],
        Reference = t => [Ref("cast.f16→f32 (all non-NaN)", t[0].ToArray<Half>().Select(h => ElementwiseReference.F16Value(BitConverter.HalfToUInt16Bits(h))).ToArray(), 0)],
    };

    private static OpCase CastBf16ToF32() => new()
    {
        Family = Family, Name = "cast.bf16→f32", Shape = "[4099]", Op = BackendOp.Cast, DType = DType.BF16,
        Inputs = s => [Bf16(N(s, 30.0, 4099))],
        Run = t => [Exact("cast.bf16→f32", Be(t).Cast(t[0], DType.F32))],
        Reference = t => [Ref("cast.bf16→f32", t[0].ToArray<ushort>().Select(b => (double)BitConverter.Int32BitsToSingle(b << 16)).ToArray(), 0)],
    };

    private static OpCase CastI32ToI64() => new()
    {
        Family = Family, Name = "cast.i32→i64", Shape = "[1001]", Op = BackendOp.Cast, DType = DType.I32,
        Inputs = s => { var w = new uint[1001]; Philox.Fill(s, 0, w); return [Tensor.FromArray(w.Select(v => (int)v).ToArray(), 1001)]; },
        Run = t => [Exact("cast.i32→i64", Be(t).Cast(t[0], DType.I64))],
        Reference = t => [Ref("cast.i32→i64", D(t[0]), 0)],
    };
}
