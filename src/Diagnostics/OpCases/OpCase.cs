using Engine.Runtime;

namespace Engine.Diagnostics.OpCases;

/// <summary>
/// One op variant at one shape and dtype: the unit of the op table. The same case is run in every mode:
/// the CPU against its plain <see cref="Reference"/> (loops in f64), every other backend against the CPU
/// (<see cref="Run"/> on both, outputs compared by their <see cref="Check"/>), f64 finite differences against the
/// tape (<see cref="Gradient"/>), and timed (<see cref="Flops"/> or the bytes it moves).
/// Cases call the public op surface (<c>Ops</c>, <c>IBackend</c>), never a kernel directly.
/// </summary>
public sealed record OpCase
{
    /// <summary>The op family: kernels/&lt;family&gt;.cu, src/Runtime/{Cpu,Cuda}/&lt;Family&gt;, Ops.&lt;Family&gt;.cs, tests/&lt;Family&gt;.</summary>
    public required string Family { get; init; }
    /// <summary>The variant, e.g. "rmsnorm" or "flash.fwd (bf16)"; with <see cref="Shape"/> it names the case.</summary>
    public required string Name { get; init; }
    /// <summary>The shapes, as the rows print them.</summary>
    public required string Shape { get; init; }
    /// <summary>The backend method a backend must support (with <see cref="DType"/>) for the case to run on it.</summary>
    public required BackendOp Op { get; init; }
    /// <summary>The dtype of the op's main input.</summary>
    public required DType DType { get; init; }
    /// <summary>The inputs, on the CPU, from a seed (odd sizes, poison-free: what the op is specified for).</summary>
    public required Func<ulong, Tensor[]> Inputs { get; init; }
    /// <summary>The op on the device its inputs live on (the runner moves them); named outputs, each with its check.</summary>
    public required Func<Tensor[], IReadOnlyList<Output>> Run { get; init; }
    /// <summary>
    /// What the CPU says, when that is not <see cref="Run"/> on the CPU: a host formula for cases with no CPU op (streams,
    /// cuBLASLt epilogues), or the CPU op in a wider dtype. Default: Run on the CPU, with BF16/F16 inputs widened to F32
    /// (exactly) when the CPU lacks the dtype.
    /// </summary>
    public Func<Tensor[], IReadOnlyList<Output>>? Expected { get; init; }
    /// <summary>Plain loops (f64) of the op: the CPU's outputs are held against these, by row name.</summary>
    public Func<Tensor[], IReadOnlyList<ReferenceOutput>>? Reference { get; init; }
    /// <summary>The op through <c>Ops</c> and the tape, for the f64 finite-difference check; null when it has no gradient.</summary>
    public Gradient? Gradient { get; init; }
    /// <summary>Floating-point operations of one <see cref="Run"/> (0: the benchmark reports bandwidth only).</summary>
    public double Flops { get; init; }
    /// <summary>Only meaningful on a device other than the CPU (stream and graph plumbing, device libraries): no reference, no CPU row.</summary>
    public bool DeviceOnly { get; init; }

    /// <summary>"name shape": what <c>--filter</c> matches.</summary>
    public string Key => $"{Name} {Shape}";

    public override string ToString() => $"{Family}: {Key} ({DType})";
}

/// <summary>One output of a case: the row it becomes, its value, and how it is compared.</summary>
/// <param name="Row">The row's op column (e.g. "rmsnorm.bwd.x").</param>
/// <param name="Shape">The row's shape column when it differs from the case's.</param>
public sealed record Output(string Row, Tensor Value, Check Check, string? Shape = null);

/// <summary>A plain reference's value for the output row of the same name, and the tolerance of CPU against it.</summary>
public sealed record ReferenceOutput(string Row, double[] Values, double Tolerance);

/// <summary>
/// The case's op as a function of its inputs through <c>Ops</c> (so the recorded backward is what is checked), and which
/// inputs to differentiate. Inputs are given in F64 on the CPU. <see cref="Atol"/>/<see cref="Rtol"/>: |numeric − analytic|
/// ≤ Atol + Rtol·|numeric| per sampled element.
/// </summary>
public sealed record Gradient(Func<Tensor[], Tensor> Function, int[] Wrt, double Atol = 1e-7, double Rtol = 1e-5, double Eps = 1e-6);
