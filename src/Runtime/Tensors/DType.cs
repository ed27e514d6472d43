namespace Engine.Runtime;

/// <summary>Element types a tensor can hold. F64 exists for CPU reference work (gradient checks).</summary>
public enum DType : byte { F32, BF16, F16, I32, I64, U8, F64 }

public static class DTypeExtensions
{
    public static int SizeOf(this DType t) => t switch
    {
        DType.F32 or DType.I32 => 4,
        DType.BF16 or DType.F16 => 2,
        DType.I64 or DType.F64 => 8,
        DType.U8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static bool IsFloat(this DType t) => t is DType.F32 or DType.BF16 or DType.F16 or DType.F64;

    /// <summary>Name as used by safetensors and torch ("F32", "BF16", ...).</summary>
    public static string Name(this DType t) => t.ToString();

    public static DType Parse(string name) => name.ToUpperInvariant() switch
    {
        "F32" or "FLOAT32" or "FLOAT" => DType.F32,
        "BF16" or "BFLOAT16" => DType.BF16,
        "F16" or "FLOAT16" or "HALF" => DType.F16,
        "I32" or "INT32" => DType.I32,
        "I64" or "INT64" => DType.I64,
        "U8" or "UINT8" => DType.U8,
        "F64" or "FLOAT64" or "DOUBLE" => DType.F64,
        _ => throw new ArgumentException($"Unknown dtype '{name}'. Known: F32, BF16, F16, I32, I64, U8, F64."),
    };
}
