using Engine.Diagnostics.OpCases;
using Engine.Runtime;

namespace Engine.Diagnostics.Cases;

/// <summary>Short names the family case files are written with: inputs, outputs with their checks, f64 reads.</summary>
internal static class CaseKit
{
    public static Tensor N(ulong seed, params int[] shape) => Tensor.RandN(shape, seed);
    public static Tensor N(ulong seed, double std, params int[] shape) => Tensor.RandN(shape, seed, std);
    public static Tensor Bf16(Tensor t) => t.To(DType.BF16);
    public static Tensor Ids(long[] ids, params int[] shape) => Tensor.FromArray(ids, shape);

    public static string Dims(params int[] shape) => $"[{string.Join(", ", shape)}]";
    public static string DimsTight(params int[] shape) => $"[{string.Join(",", shape)}]";

    /// <summary>The backend of the tensors a case runs on.</summary>
    public static IBackend Be(params Tensor?[] t) => Backend.Of(t);

    public static Output Rel(string row, Tensor t, double tolerance = Check.F32, string? shape = null) => new(row, t, Check.Rel(tolerance), shape);
    public static Output Exact(string row, Tensor t, string? shape = null) => new(row, t, Check.Exact, shape);
    public static Output Flag(string row, bool ok, string? shape = null) => new(row, Tensor.Scalar(ok ? 0 : 1, DType.F64), Check.Zero, shape);

    public static ReferenceOutput Ref(string row, double[] values, double tolerance = Check.F32) => new(row, values, tolerance);

    /// <summary>Values of a tensor as f64 (host copy).</summary>
    public static double[] D(Tensor t) => CaseData.Values(t);

    /// <summary>A host tensor of f64 values (for flags and counts a case computes itself).</summary>
    public static Tensor Host(double[] v) => Tensor.FromArray(v, v.Length);

    /// <summary>Leaves for a tape run: detached copies on the inputs' device that require grad.</summary>
    public static Tensor Leaf(Tensor t) { var l = t.Detach().Clone(); l.RequiresGrad = true; return l; }
}

/// <summary>Thrown by a case's Run when the device lacks an optional library (cuBLASLt): the row is skipped, not failed.</summary>
public sealed class CaseSkippedException(string reason) : Exception(reason);
