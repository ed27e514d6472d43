using Engine.Runtime;

namespace Engine.Models.Checkpoints;

/// <summary>
/// The element types the safetensors format defines, their widths, and their rank in the reference
/// library's enum: the writer orders tensors by descending rank (wider alignment first), then by name.
/// </summary>
internal static class SafeTensorsDTypes
{
    internal readonly record struct Info(string Name, int Bits, int Rank, DType? Engine);

    // Declaration order of the reference Rust enum (it is what the writer's sort compares).
    private static readonly Info[] All =
    [
        new("BOOL", 8, 0, null),
        new("F4", 4, 1, null),
        new("F6_E2M3", 6, 2, null),
        new("F6_E3M2", 6, 3, null),
        new("U8", 8, 4, DType.U8),
        new("I8", 8, 5, null),
        new("F8_E5M2", 8, 6, null),
        new("F8_E4M3", 8, 7, null),
        new("F8_E8M0", 8, 8, null),
        new("I16", 16, 9, null),
        new("U16", 16, 10, null),
        new("F16", 16, 11, DType.F16),
        new("BF16", 16, 12, DType.BF16),
        new("I32", 32, 13, DType.I32),
        new("U32", 32, 14, null),
        new("F32", 32, 15, DType.F32),
        new("C64", 64, 16, null),
        new("F64", 64, 17, DType.F64),
        new("I64", 64, 18, DType.I64),
        new("U64", 64, 19, null),
    ];

    private static readonly Dictionary<string, Info> ByName = All.ToDictionary(i => i.Name, StringComparer.Ordinal);

    /// <summary>Case-sensitive, like the reference parser.</summary>
    public static bool TryGet(string name, out Info info) => ByName.TryGetValue(name, out info);

    public static Info Of(DType t) => t switch
    {
        DType.U8 => ByName["U8"],
        DType.F16 => ByName["F16"],
        DType.BF16 => ByName["BF16"],
        DType.I32 => ByName["I32"],
        DType.F32 => ByName["F32"],
        DType.F64 => ByName["F64"],
        DType.I64 => ByName["I64"],
        _ => throw new NotSupportedException($"DType {t} has no safetensors name."),
    };

    public static string KnownNames => string.Join(", ", All.Select(i => i.Name));
}
