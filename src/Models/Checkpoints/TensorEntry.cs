using Engine.Runtime;

namespace Engine.Models.Checkpoints;

/// <summary>
/// One tensor described by a safetensors header. <see cref="DType"/> is null for element types the
/// format knows but Engine does not (I8, BOOL, F8_*, ...). Begin/End are byte offsets into the data
/// section (the bytes after the header), End exclusive.
/// </summary>
public sealed record TensorEntry(string Name, string DTypeName, DType? DType, int[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;

    public long NumElements
    {
        get { long n = 1; foreach (var d in Shape) n *= d; return n; }
    }

    public string ShapeString => "[" + string.Join(", ", Shape) + "]";
}
