namespace Engine.Diagnostics.Kernels;

/// <summary>One parameter of a kernel: its C type as written, the C# type its launcher takes, and its name.</summary>
public sealed record KernelParameter(string CType, string CSharpType, string Name)
{
    public bool IsPointer => CSharpType == "CudaPointer";
}

/// <summary>
/// A <c>__global__</c> function of a kernels/*.cu file: its name, the block size its <c>__launch_bounds__</c> states
/// (the threads it is launched with) and its parameters in order.
/// </summary>
public sealed record KernelSignature(string File, string Name, int Block, IReadOnlyList<KernelParameter> Parameters)
{
    /// <summary>The C declaration, for the launcher's doc comment and error messages.</summary>
    public string Declaration => $"{Name}({string.Join(", ", Parameters.Select(p => $"{p.CType} {p.Name}"))})";
}
